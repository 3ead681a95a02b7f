"""The queue tasks of voice clones.

"voice.analyse" (enqueued with the clone, in its create's transaction) measures a clone's
samples, in three steps: a read of the clone and its samples (a clone deleted since, or no
longer processing, ends the job); the samples read from the blob store, decoded and
measured in a thread, outside any transaction; one write transaction that sets the clone
``ready`` with its profile, or ``failed`` with the reason, writes voice_clone.ready or
voice_clone.failed, and completes the job. A worker that dies before that commit leaves the
job to run again once its lease ends; a blob store that is out raises, and the queue retries
with its backoff.

"voice.delete_blobs" deletes a deleted clone's blobs (a safety net behind the delete's own
attempt, which runs once its transaction commits); "voice.sweep_upload" an upload's samples
whose clone was never recorded (the process died between storing and recording them).
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from buena_server.events.catalogue import VOICE_CLONE_FAILED, VOICE_CLONE_READY
from buena_server.events.service import record_event
from buena_server.kit import clock
from buena_server.kit.blobs import BlobNotFoundError, BlobStore
from buena_server.queue import Job, JobContext, TaskRegistry
from buena_server.voice import analysis, audio
from buena_server.voice.repository import SampleRecord, VoiceCloneRepository
from buena_server.voice.schemas import VoiceProfile
from buena_server.voice.service import (
    ANALYSE_TASK,
    DELETE_BLOBS_TASK,
    SWEEP_UPLOAD_TASK,
    clone_prefix,
    event_data,
    logger,
    public,
)


class AnalysisFailed(Exception):
    """The samples cannot give a profile; the message is the clone's failure reason."""


async def analyse(job: Job, context: JobContext) -> None:
    account_id = str(job.payload["account_id"])
    clone_id = str(job.payload["clone_id"])
    async with context.database.transaction(write=False) as conn:
        repository = VoiceCloneRepository(conn)
        clone = await repository.get(account_id, clone_id)
        samples = (await repository.samples([clone_id]))[clone_id] if clone else []
    if clone is None or clone.status != "processing":
        async with context.database.transaction(write=True) as conn:
            await context.complete_in(conn)
        return
    outcome: dict[str, Any] | str
    try:
        outcome = await profile_of(context.services.blobs, samples)
    except AnalysisFailed as failure:
        outcome = str(failure)
    async with context.database.transaction(write=True) as conn:
        repository = VoiceCloneRepository(conn)
        if isinstance(outcome, str):
            changes: dict[str, Any] = {"status": "failed", "failure_reason": outcome}
            event_type = VOICE_CLONE_FAILED
        else:
            changes = {"status": "ready", "profile": outcome}
            event_type = VOICE_CLONE_READY
        updated = await repository.update(
            account_id, clone_id, only_status="processing", **changes, updated_at=clock.utcnow()
        )
        if updated is not None:
            await record_event(conn, account_id, event_type, event_data(public(updated, samples)))
        await context.complete_in(conn)


async def profile_of(blobs: BlobStore, samples: list[SampleRecord]) -> dict[str, Any]:
    """The clone's profile (VoiceProfile as stored); AnalysisFailed with the reason."""
    parts = []
    for sample in samples:
        try:
            data = await blobs.get(sample.blob_key)
        except BlobNotFoundError:
            raise AnalysisFailed(f"{sample.filename}: the stored sample is missing") from None
        try:
            decoded = await audio.decode_in_thread(
                data, sample.filename, rate=analysis.ANALYSIS_RATE
            )
        except audio.InvalidAudio as exc:
            raise AnalysisFailed(str(exc)) from None
        assert decoded.samples is not None
        if not await asyncio.to_thread(analysis.has_voiced_speech, decoded.samples):
            raise AnalysisFailed(f"{sample.filename}: no voiced speech found")
        parts.append(decoded.samples)
    if not parts:
        raise AnalysisFailed("the clone has no samples")
    try:
        measures = await asyncio.to_thread(analysis.measure, parts)
    except analysis.NoSpeech as exc:
        raise AnalysisFailed(str(exc)) from None
    profile = VoiceProfile(
        duration_seconds=round(sum(s.duration_seconds for s in samples), 3),
        sample_rate=samples[0].sample_rate,
        loudness_lufs=measures.loudness_lufs,
        silence_ratio=measures.silence_ratio,
        pitch_median_hz=measures.pitch_median_hz,
        pitch_min_hz=measures.pitch_min_hz,
        pitch_max_hz=measures.pitch_max_hz,
        speaking_rate=measures.speaking_rate,
    )
    built: dict[str, Any] = msgspec.to_builtins(profile)
    return built


async def sweep_upload(job: Job, context: JobContext) -> None:
    """Delete an upload's samples if its clone was never recorded (the process died)."""
    account_id = str(job.payload["account_id"])
    clone_id = str(job.payload["clone_id"])
    async with context.database.transaction(write=False) as conn:
        clone = await VoiceCloneRepository(conn).get(account_id, clone_id)
    if clone is None:
        deleted = await context.services.blobs.delete_prefix(clone_prefix(account_id, clone_id))
        if deleted:
            logger.info("deleted %d sample(s) of an upload never recorded: %s", deleted, clone_id)


async def delete_blobs(job: Job, context: JobContext) -> None:
    prefix = str(job.payload["prefix"])
    deleted = await context.services.blobs.delete_prefix(prefix)
    if deleted:
        logger.info("deleted %d blob(s) left under %s", deleted, prefix)


def register_tasks(registry: TaskRegistry) -> None:
    registry.register(ANALYSE_TASK, analyse)
    registry.register(DELETE_BLOBS_TASK, delete_blobs)
    registry.register(SWEEP_UPLOAD_TASK, sweep_upload)
