"""Public identifiers: a type prefix, then 96 bits as 24 hex digits, the creation time in
milliseconds (48 bits) followed by 48 random bits (``lead_019af1c4e2b73c90d41e5a27``).

Time first, so that rows made one after another sit side by side in every index on their
id (each table's primary key above all): a new row's entry goes to the end of the index,
not to a random page of a large one (docs/decisions/ids.md). The random half keeps ids
made in the same millisecond, in one process or many, apart. The random bytes come from
the operating system (``os.urandom``) 4 KB at a time, not one system call per id; a forked
process starts with none of its parent's."""

import os
import re
import time
from collections.abc import Iterator

_PLAUSIBLE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_RANDOM_HEX = 12  # 48 bits
_REFILL = 4092  # bytes drawn from os.urandom at a time: 682 ids

# The random halves not handed out yet. ``next`` on a list's iterator is atomic, so two
# threads never take the same one; two that find it empty at once each draw their own.
_draws: Iterator[str] = iter(())
_stamp = (-1, "")  # the last millisecond written, and its hex digits


def new_id(prefix: str) -> str:
    global _stamp
    ms = time.time_ns() // 1_000_000
    stamp = _stamp
    if stamp[0] != ms:
        stamp = _stamp = (ms, f"{ms:012x}")
    return f"{prefix}_{stamp[1]}{_random_hex()}"


def _random_hex() -> str:
    global _draws
    drawn = next(_draws, None)
    if drawn is None:
        block = os.urandom(_REFILL).hex()
        draws = iter([block[at : at + _RANDOM_HEX] for at in range(0, len(block), _RANDOM_HEX)])
        _draws = draws
        drawn = next(draws)
    return drawn


def _forget() -> None:
    """A forked child draws bytes of its own (its parent's unused ones stay its parent's)."""
    global _draws
    _draws = iter(())


os.register_at_fork(after_in_child=_forget)


def is_plausible_id(value: str) -> bool:
    """Whether ``value`` could name a stored row; anything else is answered 404 unqueried
    (PostgreSQL refuses NUL in text, and no id is longer or stranger than this)."""
    return _PLAUSIBLE.fullmatch(value) is not None
