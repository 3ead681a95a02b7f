"""Public ids (``kit.ids``): the creation time first, so that rows made one after another
sit side by side in the indexes on their ids; 48 random bits after it; a forked process
never hands out its parent's random halves."""

from __future__ import annotations

import os
import re

import pytest

from buena_server.kit import ids
from buena_server.kit.ids import is_plausible_id, new_id


def test_an_id_is_its_prefix_the_millisecond_and_48_random_bits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ids.time, "time_ns", lambda: 1_765_000_000_123_456_789)
    made = new_id("lead")
    assert re.fullmatch(r"lead_[0-9a-f]{24}", made)
    assert made[5:17] == f"{1_765_000_000_123:012x}"
    assert is_plausible_id(made)


def test_ids_made_later_sort_after_those_made_earlier(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_765_000_000_000_000_000]
    monkeypatch.setattr(ids.time, "time_ns", lambda: now[0])
    earlier = [new_id("evt") for _ in range(50)]
    now[0] += 1_000_000  # one millisecond on
    later = [new_id("evt") for _ in range(50)]
    assert max(earlier) < min(later)


def test_ids_of_one_millisecond_differ_in_their_random_half(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ids.time, "time_ns", lambda: 1_765_000_000_000_000_000)
    made = [new_id("lead") for _ in range(5000)]  # several refills of the random bytes
    assert len(set(made)) == len(made)
    halves = {made_id[-12:] for made_id in made}
    assert len(halves) == len(made)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_process_draws_random_halves_of_its_own() -> None:
    new_id("lead")  # the parent holds unused random halves now
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover  (the child process)
        try:
            os.write(write, " ".join(new_id("lead")[-12:] for _ in range(20)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        childs = set(pipe.read().split())
    os.waitpid(child, 0)
    parents = {new_id("lead")[-12:] for _ in range(20)}
    assert len(childs) == 20
    assert not childs & parents
