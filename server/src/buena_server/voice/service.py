"""Voice clones: read, list, change and delete them (the upload is voice/upload.py, the
analysis voice/tasks.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import msgspec

from buena_server.errors import VoiceCloneInUse, voice_clone_not_found
from buena_server.events.catalogue import VOICE_CLONE_DELETED, VOICE_CLONE_UPDATED
from buena_server.events.service import record_event
from buena_server.kit import clock
from buena_server.kit.blobs import BlobStore
from buena_server.kit.driver import Connection
from buena_server.kit.ids import is_plausible_id
from buena_server.kit.paging import Page
from buena_server.kit.validation import Context, validate
from buena_server.linkedin.repository import ActionRepository
from buena_server.linkedin.service import nested
from buena_server.queue import enqueue
from buena_server.voice.repository import CloneRecord, SampleRecord, VoiceCloneRepository
from buena_server.voice.schemas import (
    ListVoiceClonesResponse,
    UpdateVoiceCloneRequest,
    VoiceClone,
    VoiceCloneSettings,
    VoiceProfile,
    VoiceSample,
)

logger = logging.getLogger("buena_server.voice")
ANALYSE_TASK = "voice.analyse"
DELETE_BLOBS_TASK = "voice.delete_blobs"
SWEEP_UPLOAD_TASK = "voice.sweep_upload"
# An upload's samples are stored before its clone is recorded; should the process die in
# between, the job enqueued before they were stored deletes them this long after.
SWEEP_UPLOAD_AFTER = timedelta(hours=1)
# The queue job that deletes a deleted clone's blobs if deleting them at once failed (or
# the process stopped first) runs this long after the delete.
DELETE_BLOBS_RETRY = timedelta(minutes=1)


def clone_prefix(account_id: str, clone_id: str) -> str:
    """The blob keys of a clone's samples and previews all start with this."""
    return f"voice/{account_id}/{clone_id}"


def in_use(clone_id: str, actions: list[str]) -> VoiceCloneInUse:
    return VoiceCloneInUse(
        f"Voice clone {clone_id!r} is used by {len(actions)} pending LinkedIn voice "
        "message(s): cancel them first",
        details={"actions": actions},
    )


def public(record: CloneRecord, samples: list[SampleRecord]) -> VoiceClone:
    return VoiceClone(
        id=record.id,
        name=record.name,
        description=record.description,
        status=record.status,  # type: ignore[arg-type]  # one of the Literal's
        failure_reason=record.failure_reason,
        is_active=record.status != "failed",
        sample_count=record.sample_count,
        samples=[
            VoiceSample(
                id=s.id,
                filename=s.filename,
                format=s.format,  # type: ignore[arg-type]
                size_bytes=s.size_bytes,
                duration_seconds=s.duration_seconds,
                sample_rate=s.sample_rate,
                channels=s.channels,
            )
            for s in samples
        ],
        settings=msgspec.convert(record.settings, VoiceCloneSettings),
        labels=dict(record.labels),
        profile=None if record.profile is None else msgspec.convert(record.profile, VoiceProfile),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def event_data(clone: VoiceClone, **extra: Any) -> dict[str, Any]:
    return {"object": msgspec.to_builtins(clone), **extra}


class VoiceCloneService:
    def __init__(self, conn: Connection, blobs: BlobStore, context: Context) -> None:
        self.repository = VoiceCloneRepository(conn)
        self.blobs = blobs
        self.context = context

    async def find(self, account_id: str, clone_id: str, lock: str | None = None) -> CloneRecord:
        found = None
        if is_plausible_id(clone_id):
            found = await self.repository.get(account_id, clone_id, lock=lock)
        if found is None:
            raise voice_clone_not_found(clone_id)
        return found

    async def with_samples(self, record: CloneRecord) -> VoiceClone:
        return public(record, (await self.repository.samples([record.id]))[record.id])

    async def get(self, account_id: str, clone_id: str) -> VoiceClone:
        return await self.with_samples(await self.find(account_id, clone_id))

    async def list(
        self, account_id: str, status: str | None, page: Page
    ) -> ListVoiceClonesResponse:
        records, total = await self.repository.find_page(
            account_id, status, page.limit, page.offset
        )
        samples = await self.repository.samples([r.id for r in records])
        return ListVoiceClonesResponse(
            data=[public(r, samples[r.id]) for r in records],
            total=total, limit=page.limit, offset=page.offset,
        )  # fmt: skip

    async def update(
        self, account_id: str, clone_id: str, request: UpdateVoiceCloneRequest
    ) -> VoiceClone:
        """PATCH: absent = unchanged, ``description`` null clears it, ``settings`` merge
        field by field, ``labels`` replace."""
        cleared = (
            [{"field": "name", "message": "name cannot be null"}] if request.name is None else []
        )
        request = validate(request, self.context, cleared)
        current = await self.find(account_id, clone_id, lock="update")
        changes: dict[str, Any] = {}
        if isinstance(request.name, str) and request.name != current.name:
            changes["name"] = request.name
        if request.description is not msgspec.UNSET and request.description != current.description:
            changes["description"] = request.description
        if isinstance(request.settings, msgspec.Struct):
            patch = nested(request.settings, "settings", self.context)
            merged = {**current.settings, **msgspec.to_builtins(patch)}
            if merged != current.settings:
                changes["settings"] = merged
        if isinstance(request.labels, dict) and request.labels != current.labels:
            changes["labels"] = request.labels
        if not changes:
            return await self.with_samples(current)
        updated = await self.repository.update(
            account_id, clone_id, **changes, updated_at=clock.utcnow()
        )
        assert updated is not None  # locked above
        clone = await self.with_samples(updated)
        previous = {name: msgspec.to_builtins(getattr(current, name)) for name in changes}
        await record_event(
            self.repository.conn, account_id, VOICE_CLONE_UPDATED,
            event_data(clone, previous_attributes=previous),
        )  # fmt: skip
        return clone

    async def delete(self, account_id: str, clone_id: str) -> None:
        """Delete the clone and its samples' rows; its blobs once that commits (and, should
        that fail, by a queue job enqueued with the delete). 409 while pending LinkedIn
        voice messages speak with it."""
        conn = self.repository.conn
        current = await self.find(account_id, clone_id, lock="update")
        pending = await ActionRepository(conn).pending_voice_messages(account_id, clone_id)
        if pending:
            raise in_use(clone_id, pending)
        clone = await self.with_samples(current)
        await self.repository.delete(account_id, clone_id)
        await record_event(conn, account_id, VOICE_CLONE_DELETED, event_data(clone))
        prefix = clone_prefix(account_id, clone_id)
        await enqueue(
            conn, DELETE_BLOBS_TASK, {"prefix": prefix},
            run_at=clock.utcnow() + DELETE_BLOBS_RETRY,
        )  # fmt: skip
        conn.after_commit.append(delete_blobs_now(self.blobs, prefix))


def delete_blobs_now(blobs: BlobStore, prefix: str) -> Callable[[], Awaitable[None]]:
    """An after-commit hook: delete the blobs under ``prefix``; a failure is logged (the
    queue job enqueued with the delete tries again)."""

    async def delete_now() -> None:
        try:
            await blobs.delete_prefix(prefix)
        except Exception:
            logger.warning("deleting blobs under %s failed; a queue job retries", prefix,
                           exc_info=True)  # fmt: skip

    return delete_now
