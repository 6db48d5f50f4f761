"""Masking of personal data the way Chinese e-waybills print it."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧**娜, John Smith -> J*** S****."""
    name = name.strip()
    if not name:
        return name
    if name.isascii():
        return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678; keeps the first 3 and last 4 digits of any number."""
    digits = [c for c in phone if c.isdigit()]
    if len(digits) < 8:
        return "*" * len(phone)
    keep = set(range(3)) | set(range(len(digits) - 4, len(digits)))
    out, i = [], 0
    for c in phone:
        if c.isdigit():
            out.append(c if i in keep else "*")
            i += 1
        else:
            out.append(c)
    return "".join(out)


def mask_id(number: str) -> str:
    """A mainland resident ID keeps its region (first 6) and its last 4:
    110105********123X.  Any other document number keeps only its last 4."""
    number = number.strip()
    keep_front = 6 if len(number) in (15, 18) else 0
    if len(number) <= keep_front + 4:
        return "*" * len(number)
    return number[:keep_front] + "*" * (len(number) - keep_front - 4) + number[-4:]
