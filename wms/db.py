"""Engines, sessions and the one-transaction-per-operation unit of work.

SQLite needs help to be a correct shared database: foreign keys are off by default,
and pysqlite's own transaction handling starts transactions late, so a read-then-write
can fail with "database is locked" instead of waiting.  We take over BEGIN (the
SQLAlchemy pysqlite recipe) and write transactions start with BEGIN IMMEDIATE, which
serialises writers; readers are unaffected thanks to WAL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

_WRITE_OPTION = "wms_write"
_FLUSHED = "wms_flushed"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: the move indexes stay hot
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    # connect_timeout: an unreachable database host fails a request in seconds, not after
    # the operating system's TCP timeout.
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args={"connect_timeout": 10},
    )


def _note_flush(session: Session, _context: Any) -> None:
    session.info[_FLUSHED] = True


class Database:
    """Owns the engine; hands out read sessions and write transactions."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self._read, "after_flush", _note_flush)
        self._write = sessionmaker(
            self.engine.execution_options(**{_WRITE_OPTION: True}), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries; whatever it wrote is rolled back at the end.

        A read that wrote nothing ends with COMMIT rather than ROLLBACK: the same to the
        database, but psycopg discards every prepared statement of the connection on
        ROLLBACK, and the request that follows would plan its statements afresh.
        """
        session = self._read()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        else:
            if session.info.pop(_FLUSHED, False):
                session.rollback()
            else:
                session.commit()
        finally:
            session.close()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One business operation: committed if the block ends normally, else rolled back."""
        session = self._write()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
