"""A circuit breaker for one outside service: after ``failures`` failed calls in a row it
opens and calls fail at once, without contacting the service, for ``cool_down`` seconds;
then one call (the probe) goes through while the others still fail at once, and its
outcome closes the circuit or opens it again.

Hand-made, with its clock as a parameter: docs/design.md, "Enrichment", says why no
library was taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitOpen(Exception):
    """A call refused without contacting the service."""


class Outage(Exception):
    """A failure that counts against the circuit (the service down, or unusable as
    configured); other exceptions leave the count as it was."""


class CircuitBreaker:
    def __init__(self, name: str, failures: int, cool_down: float, clock: Callable[[], float]):
        self.name = name
        self.threshold = failures
        self.cool_down = cool_down
        self.clock = clock  # monotonic seconds
        self.failures = 0  # failed calls in a row
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._probing or self.clock() >= self._opened_at + self.cool_down:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    @contextmanager
    def call(self) -> Iterator[bool]:
        """Admit one call (``True`` when it is the probe) or raise ``CircuitOpen``. Its
        outcome is read from how the block ends: normally (the service answered), by an
        ``Outage``, or by anything else (counted neither way)."""
        probe = self._admit()
        try:
            yield probe
        except Outage:
            self._failed()
            raise
        except BaseException:
            if probe:
                self._probing = False  # the next call probes instead
            raise
        else:
            self.failures = 0
            self._opened_at = None
            self._probing = False

    def _admit(self) -> bool:
        state = self.state
        if state is CircuitState.CLOSED:
            return False
        if state is CircuitState.HALF_OPEN and not self._probing:
            self._probing = True
            return True
        assert self._opened_at is not None
        if self._probing:
            reason = "a probe of the service is under way"
        else:
            remaining = self._opened_at + self.cool_down - self.clock()
            reason = f"it is tried again in {remaining:.1f} s"
        raise CircuitOpen(
            f"{self.name}: circuit open after {self.failures} failed calls in a row; {reason}"
        )

    def _failed(self) -> None:
        self.failures += 1
        if self._probing or self.failures >= self.threshold:
            self._opened_at = self.clock()
        self._probing = False
