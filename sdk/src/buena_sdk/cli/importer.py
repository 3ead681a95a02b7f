"""``buena leads import``: rows mapped and checked here, sent in batches of up to 1000
through ``POST /leads/batch``, a few batches in flight, paced by the rate-limit headers.

Re-running an import duplicates nothing, because emails are unique per account: in
``create`` mode a lead already there (from an earlier, perhaps interrupted, run) comes back
as a ``LEAD_EMAIL_EXISTS`` error in the failed-rows file, never as a second lead; in
``upsert`` mode it is updated, or ``unchanged``. Each batch carries its own Idempotency-Key,
reused on its retries, so a batch whose answer was lost is not applied twice either.
"""

import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from pydantic import ValidationError

from buena_sdk.api.default_api import DefaultApi
from buena_sdk.cli.mapping import ColumnMapping
from buena_sdk.cli.sources import FailedRow, Row
from buena_sdk.exceptions import ApiConnectionError, ApiException
from buena_sdk.models import (
    MAX_BATCH_SIZE,
    BatchLeadResult,
    BatchLeadsRequest,
    CreateLeadRequest,
)

# Statuses that no later batch would escape: stop at once rather than fail every row.
FATAL_STATUSES = frozenset({401, 403})


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[FailedRow] = field(default_factory=list)

    @property
    def succeeded(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": len(self.failed),
            "errors": [{"line": f.line, "error": f.reason} for f in sorted(
                self.failed, key=lambda f: f.line)],
        }  # fmt: skip


class RateGate:
    """Keeps the import within the key's rate limit: once the server says no request is
    left in its window (``X-RateLimit-Remaining: 0``), sends wait for the window's reset
    (``X-RateLimit-Reset``, epoch seconds). A 429 that slips through is retried by the SDK
    after its ``Retry-After``."""

    MAX_WAIT = 60.0

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._remaining: Optional[int] = None
        self._reset_at = 0.0

    def acquire(self) -> None:
        with self._lock:
            if self._remaining is not None and self._remaining <= 0:
                delay = min(self._reset_at - self._clock(), self.MAX_WAIT)
                if delay > 0:
                    self._sleep(delay)
                self._remaining = None
            elif self._remaining is not None:
                self._remaining -= 1

    def note(self, headers: Mapping[str, str]) -> None:
        try:
            remaining = int(headers["X-RateLimit-Remaining"])
            reset_at = float(headers["X-RateLimit-Reset"])
        except (KeyError, ValueError):
            return
        with self._lock:
            self._remaining, self._reset_at = remaining, reset_at


_Batch = list[tuple[Row, CreateLeadRequest]]


class Importer:
    def __init__(
        self,
        api: Optional[DefaultApi],
        mapping: ColumnMapping,
        *,
        mode: str = "create",
        from_text: bool = True,
        batch_size: int = MAX_BATCH_SIZE,
        concurrency: int = 4,
        advance: Callable[[int], None] = lambda rows: None,
        gate: Optional[RateGate] = None,
    ) -> None:
        self.api = api
        self.mapping = mapping
        self.mode = mode
        self.from_text = from_text
        self.batch_size = min(max(batch_size, 1), MAX_BATCH_SIZE)
        self.concurrency = max(concurrency, 1)
        self.advance = advance
        self.gate = gate or RateGate()
        self.summary = ImportSummary()
        self._first_line_of_email: dict[str, int] = {}
        # The summary is written from the batches' threads.
        self._lock = threading.RLock()

    # -- checking rows locally ----------------------------------------------------------

    def checked(self, rows: Iterable[Row]) -> Iterator[tuple[Row, CreateLeadRequest]]:
        """The rows that make a valid lead; the others go to ``summary.failed``."""
        for row in rows:
            self.summary.rows += 1
            reason, lead = self._check(row)
            if lead is None:
                self._fail(row, reason)
                self.advance(1)
            else:
                yield row, lead

    def _check(self, row: Row) -> tuple[str, Optional[CreateLeadRequest]]:
        fields = self.mapping.to_lead(row.values, from_text=self.from_text)
        try:
            lead = CreateLeadRequest.model_validate(fields)
        except ValidationError as exc:
            return validation_reason(exc), None
        email = lead.email.strip().lower()
        # Only plausible emails: a repeat of an invalid one is reported as invalid by the
        # server rather than as a repeat here.
        first = self._first_line_of_email.setdefault(email, row.line) if "@" in email else row.line
        if first != row.line:
            # Caught here so the later row is the one reported, whatever the batches' order.
            return f"LEAD_EMAIL_EXISTS (email): repeats the email of line {first}", None
        return "", lead

    # -- sending ------------------------------------------------------------------------

    def run(self, rows: Iterable[Row]) -> ImportSummary:
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="buena-import")
        pending: set[Future[None]] = set()
        try:
            for batch in self._batches(self.checked(rows)):
                if len(pending) >= self.concurrency:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        future.result()
                pending.add(pool.submit(self._send, batch))
            for future in pending:
                future.result()
        except BaseException:
            # Ctrl-C or a fatal answer: batches not started are dropped, and the ones in
            # flight finish (their outcome counted) while the caller reports.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return self.summary

    def _batches(self, leads: Iterable[tuple[Row, CreateLeadRequest]]) -> Iterator[_Batch]:
        batch: _Batch = []
        for item in leads:
            batch.append(item)
            if len(batch) >= self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _send(self, batch: _Batch) -> None:
        assert self.api is not None, "a dry run sends nothing"
        request = BatchLeadsRequest(mode=self.mode, leads=[lead for _, lead in batch])
        self.gate.acquire()
        try:
            answer = self.api.batch_leads_with_http_info(request)
        except ApiConnectionError as exc:
            self._fail_all(batch, f"batch not answered: {exc}")
            return
        except ApiException as exc:
            if exc.status in FATAL_STATUSES:
                raise
            self._fail_all(batch, f"batch refused: {one_line(exc)}")
            return
        self.gate.note(answer.headers)
        with self._lock:
            for result in answer.data.results:
                self._record(batch, result)
        self.advance(len(batch))

    def _record(self, batch: _Batch, result: BatchLeadResult) -> None:
        row = batch[result.index][0]
        if result.outcome == "created":
            self.summary.created += 1
        elif result.outcome == "updated":
            self.summary.updated += 1
        elif result.outcome == "unchanged":
            self.summary.unchanged += 1
        else:
            error = result.error
            if error is None:
                self._fail(row, f"outcome {result.outcome!r}")
            else:
                where = f" ({error.field})" if error.field else ""
                self._fail(row, f"{error.code}{where}: {error.message}")

    def _fail_all(self, batch: _Batch, reason: str) -> None:
        for row, _ in batch:
            self._fail(row, reason)
        self.advance(len(batch))

    def _fail(self, row: Row, reason: str) -> None:
        with self._lock:
            self.summary.failed.append(FailedRow(row.line, row.values, reason))


def validation_reason(exc: ValidationError) -> str:
    """One line from a local validation failure: ``first_name: Field required``."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "row"
        if error["type"] == "extra_forbidden":
            parts.append(f"{where}: not a lead field")
        else:
            parts.append(f"{where}: {error['msg']}")
    return "VALIDATION_ERROR " + "; ".join(parts)


def one_line(exc: ApiException) -> str:
    """``409 LEAD_EMAIL_EXISTS: A lead with this email already exists``."""
    head = f"{exc.status} {exc.code}" if exc.code else str(exc.status)
    message = exc.message or exc.reason or ""
    return f"{head}: {message}" if message else head
