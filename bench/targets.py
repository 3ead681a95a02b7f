"""A target of `make bench`: a figure, its reference in the same run, and the goal."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Target:
    name: str
    measured: float | None
    reference: float | None
    ratio: float | None
    target: str
    met: bool
    unit: str = ""
    note: str = ""


def ratio_target(
    name: str,
    measured: float,
    reference: float,
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    unit: str = "",
    note: str = "",
) -> Target:
    ratio = measured / reference
    if at_least is not None:
        return Target(
            name,
            measured,
            reference,
            round(ratio, 3),
            f">= {at_least}",
            ratio >= at_least,
            unit,
            note,
        )
    assert at_most is not None
    return Target(
        name, measured, reference, round(ratio, 4), f"<= {at_most:g}", ratio <= at_most, unit, note
    )
