"""Reading text files from outside safely, and writing CSV that spreadsheets cannot abuse.

Reading (``TextLines``): a file is read line by line in chunks, so memory stays bounded
however large the file is, and it is refused, naming the line, when it

- is larger than ``Limits.max_bytes`` or has more than ``Limits.max_lines`` lines;
- has a line longer than ``Limits.max_line_chars`` characters (refused as soon as the
  limit is passed: a 2 GB file without a newline is never held in memory);
- cannot be decoded: the line and the byte offset of the first bad byte are named;
- holds a NUL character (unless the caller checks NULs itself, per cell).

Encodings, decided so that nothing is ever guessed:

- a byte-order mark decides: UTF-8 (EF BB BF), UTF-16 little or big endian (FF FE /
  FE FF); UTF-32 marks are refused (nobody exports orders so);
- without a mark the file must be UTF-8, strictly;
- GB18030 (and GBK, its subset, what Excel on Chinese Windows writes for "CSV") only when
  the caller says so (``encoding="gb18030"``): almost any byte sequence decodes as
  GB18030, so a file is never taken for it by guessing; a UTF-8 file with one broken byte
  would otherwise be read as nonsense without a complaint.  When a file is not UTF-8 but
  reads as GB18030, the refusal says so.

Writing (``spreadsheet_safe``, ``SafeWriter``): a cell a spreadsheet would read as a
formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, OWASP's
list) is written with a leading apostrophe, which spreadsheets show as text; a plain
number such as ``-12.50`` is left as it is (it is data, not a formula).  The customs
exports (``customs/export_documents.py``) apply the same rule with their own copy, as
satellites import nothing from ``wms``; a test keeps the two equal.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Literal

Encoding = Literal["utf-8", "utf-16", "gb18030"]
ENCODINGS: tuple[Encoding, ...] = ("utf-8", "utf-16", "gb18030")

CHUNK_BYTES = 64 * 1024

# OWASP "CSV injection": what makes a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    # UTF-32 first: its little-endian mark starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "", "UTF-32"),
    (codecs.BOM_UTF32_BE, "", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
_GB18030_BOM = b"\x84\x31\x95\x33"
_NAMES = {"utf-8": "UTF-8", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16", "gb18030": "GB18030"}


@dataclass(frozen=True)
class Limits:
    """How much of a file is read before it is refused."""

    max_bytes: int = 64 * 1024 * 1024
    max_lines: int = 500_000
    max_line_chars: int = 8_192
    max_cell_chars: int = 1_000


DEFAULT_LIMITS = Limits()


class UnreadableText(ValueError):
    """The file cannot be read as text; ``line`` (1-based) says where, when known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line
        self.detail = message


def _size(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n:,} bytes"


class TextLines:
    """The lines of a binary stream as text, each with its line ending; see the module
    docstring for the limits and the encodings.  ``line`` is the number of the line
    last returned (1-based); ``encoding`` the encoding in use once the first line is
    read (``"utf-8"``, ``"utf-16-le"``, ``"utf-16-be"`` or ``"gb18030"``)."""

    def __init__(
        self,
        raw: IO[bytes],
        *,
        encoding: Encoding | None = None,
        limits: Limits = DEFAULT_LIMITS,
        check_nul: bool = True,
    ) -> None:
        if encoding is not None and encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}")
        self._raw = raw
        self._declared = encoding
        self._limits = limits
        self._check_nul = check_nul
        self.encoding = ""
        self.line = 0
        self.bytes_read = 0

    # --- encoding --------------------------------------------------------------------

    def _start(self) -> tuple[bytes, int]:
        """Choose the codec from the byte-order mark (or the declared encoding); return
        the first bytes after the mark and the mark's length."""
        head = self._read(4)
        for mark, codec, name in _BOMS:
            if head.startswith(mark):
                if not codec:
                    raise UnreadableText(
                        f"the file is {name} (its byte-order mark says so): save it as UTF-8",
                        line=1,
                    )
                declared = self._declared
                if declared is not None and not codec.startswith(declared):
                    raise UnreadableText(
                        f"the file starts with a {name} byte-order mark but was declared "
                        f"{_NAMES.get(declared, declared)}",
                        line=1,
                    )
                self.encoding = codec
                return head[len(mark) :], len(mark)
        if self._declared == "gb18030":
            self.encoding = "gb18030"
            if head.startswith(_GB18030_BOM):
                return head[len(_GB18030_BOM) :], len(_GB18030_BOM)
            return head, 0
        if self._declared == "utf-16":
            raise UnreadableText(
                "a UTF-16 file must start with its byte-order mark (FF FE or FE FF)", line=1
            )
        self.encoding = "utf-8"
        return head, 0

    def _read(self, n: int) -> bytes:
        data = self._raw.read(n)
        self.bytes_read += len(data)
        if self.bytes_read > self._limits.max_bytes:
            raise UnreadableText(
                f"the file is larger than {_size(self._limits.max_bytes)}, the most one "
                "import takes: split it"
            )
        return data

    def _undecodable(
        self, exc: UnicodeDecodeError, chunk_at: int, pending: str, chunk: bytes
    ) -> UnreadableText:
        buffered = len(exc.object) - len(chunk)  # bytes the decoder held from before
        offset = chunk_at - buffered + exc.start
        decoded_before = bytes(exc.object[: exc.start]).decode(self.encoding, "ignore")
        line = self.line + 1 + pending.count("\n") + decoded_before.count("\n")
        bad = bytes(exc.object[exc.start : exc.end])[:4].hex(" ")
        name = _NAMES.get(self.encoding, self.encoding)
        message = f"byte {offset} (0x{bad}) is not valid {name}"
        if self.encoding == "utf-8" and self._declared is None:
            message = f"not UTF-8 text: {message}"
            if _reads_as_gb18030(bytes(exc.object)):
                message += (
                    "; the file looks like GB18030/GBK (what Excel on Chinese Windows "
                    "saves as CSV): save it as CSV UTF-8, or declare its encoding gb18030"
                )
        elif self.encoding.startswith("utf-16"):
            message = f"not UTF-8 text, nor the UTF-16 its byte-order mark announces: {message}"
        return UnreadableText(message, line=line)

    # --- lines -----------------------------------------------------------------------

    def __iter__(self) -> Iterator[str]:
        chunk, chunk_at = self._start()  # chunk_at: where the chunk starts in the file
        decoder = codecs.getincrementaldecoder(self.encoding)("strict")
        pending = ""  # the line being read
        max_line = self._limits.max_line_chars
        while True:
            final = not chunk
            try:
                text = decoder.decode(chunk, final)
            except UnicodeDecodeError as exc:
                raise self._undecodable(exc, chunk_at, pending, chunk) from None
            pending += text
            start = 0
            while True:
                end = pending.find("\n", start)
                if end < 0:
                    break
                yield self._line(pending[start : end + 1])
                start = end + 1
            pending = pending[start:]
            if len(pending) > max_line:
                raise UnreadableText(
                    f"the line is longer than {max_line:,} characters", line=self.line + 1
                )
            if final:
                break
            chunk_at += len(chunk)
            chunk = self._read(CHUNK_BYTES)
        if pending:
            yield self._line(pending)

    def _line(self, text: str) -> str:
        self.line += 1
        if self.line > self._limits.max_lines:
            raise UnreadableText(
                f"a file holds at most {self._limits.max_lines:,} lines: split it", line=self.line
            )
        if len(text) > self._limits.max_line_chars + 2:  # + its line ending
            raise UnreadableText(
                f"the line is longer than {self._limits.max_line_chars:,} characters",
                line=self.line,
            )
        if self._check_nul and "\x00" in text:
            raise UnreadableText(nul_message(text, text.index("\x00")), line=self.line)
        return text


def nul_message(text: str, position: int, where: str = "") -> str:
    """Why a NUL character is refused, with a hint when the text looks like UTF-16 read
    as UTF-8 (every other character a NUL)."""
    message = f"holds a NUL character{where} (character {position + 1} of the line)"
    sample = text[:64]
    if len(sample) >= 4 and sample.count("\x00") * 3 >= len(sample):
        message += "; a UTF-16 file without its byte-order mark? Save it as UTF-8"
    return message


def _reads_as_gb18030(data: bytes) -> bool:
    try:  # not final: a sequence cut at the end of the chunk is no evidence against
        codecs.getincrementaldecoder("gb18030")("strict").decode(data, False)
    except UnicodeDecodeError:
        return False
    return True


# --- formulas -------------------------------------------------------------------------


def is_formula(cell: str) -> bool:
    """Whether a spreadsheet would take ``cell`` for a formula (a plain signed number
    such as ``-5`` or ``+12.50`` is data and does not count)."""
    return cell.startswith(FORMULA_STARTS) and _PLAIN_NUMBER.fullmatch(cell) is None


def spreadsheet_safe(value: Any) -> Any:
    """``value`` as a CSV cell no spreadsheet runs: text that would be a formula gets a
    leading apostrophe; anything else is returned unchanged."""
    if isinstance(value, str) and is_formula(value):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``spreadsheet_safe``."""

    def __init__(self, stream: IO[str], **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([spreadsheet_safe(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


__all__ = [
    "DEFAULT_LIMITS",
    "ENCODINGS",
    "FORMULA_STARTS",
    "Encoding",
    "Limits",
    "SafeWriter",
    "TextLines",
    "UnreadableText",
    "is_formula",
    "nul_message",
    "spreadsheet_safe",
]
