"""Time in one place, always timezone-aware UTC.

Every module reads the time through ``utcnow`` (imported by name or through this module:
both reach ``source``), so a test that moves the clock (replaces ``source``: the tests'
``moved_clock``) moves it for the whole server, the queue's clock included.
"""

from collections.abc import Callable
from datetime import UTC, datetime


def system_now() -> datetime:
    return datetime.now(UTC)


source: Callable[[], datetime] = system_now


def utcnow() -> datetime:
    return source()
