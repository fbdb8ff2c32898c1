"""Tells a background job that is running from one whose process died half-way (SIGKILL, out of
memory, a power cut), without a timeout: while it runs, the job holds a lease that the system
drops together with its process. On PostgreSQL a session advisory lock (gone when the
connection closes); on SQLite (one machine) an flock on a file beside the database.

A job takes the lease before it claims its row (QUEUED → RUNNING) and gives it back after
writing its final status, so a RUNNING row whose lease nobody holds belongs to a dead process.
Recovery (the next run of the job, `kehu worker` starting) asks `alive()` and fails or
re-queues such rows; the functions that do it register with `on_recovery`.
"""

import fcntl
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager, suppress
from pathlib import Path

from django.db import DatabaseError, connection

logger = logging.getLogger("kehu.leases")

RECOVERY: list[Callable[[], int]] = []


def on_recovery(func: Callable[[], int]) -> Callable[[], int]:
    """Registers a function that recovers one kind of job after a crash (returns how many)."""
    RECOVERY.append(func)
    return func


def recover() -> int:
    """Runs every registered recovery (`kehu worker` does on start and every half minute)."""
    total = 0
    for func in RECOVERY:
        try:
            total += func()
        except DatabaseError:  # a busy database: the next tick tries again
            logger.warning("recovery %s failed", func.__qualname__, exc_info=True)
    return total


def _key(name: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


def _path(name: str) -> Path:
    database = str(connection.settings_dict["NAME"])
    if connection.is_in_memory_db():  # tests: one process owns the database
        digest = hashlib.blake2b(database.encode(), digest_size=6).hexdigest()
        return Path(tempfile.gettempdir()) / f"kehu-{os.getpid()}-{digest}.lease-{name}"
    return Path(f"{database}.lease-{name}")


@contextmanager
def holding(name: str):
    """Holds the lease `name` while the block runs; yields False (and holds nothing) if another
    live process holds it."""
    if connection.vendor == "postgresql":
        key = _key(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            got = cursor.fetchone()[0]
        try:
            yield got
        finally:
            if got:
                with suppress(DatabaseError), connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    path = _path(name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            with suppress(FileNotFoundError):
                path.unlink()
    finally:
        os.close(fd)


def alive(name: str) -> bool:
    """Whether a live process holds the lease `name`."""
    if connection.vendor == "postgresql":
        key = _key(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if not cursor.fetchone()[0]:
                return True
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return False
    path = _path(name)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        with suppress(FileNotFoundError):
            path.unlink()  # left by a process that died
        return False
    finally:
        os.close(fd)
