"""POST /voice-clones: a multipart upload checked, decoded, stored, then recorded.

The order keeps bad input from writing anything: the form's fields, the number of files and
each file's size are checked first; then the account's clone limit (a first, unlocked
look, to refuse before the costly part); then every file is decoded (in a thread), and the
total duration checked. Only then are the samples written to the blob store, under the
clone's prefix, and the clone recorded in one write transaction that takes the account's
row lock, counts its clones again (so two creates racing at the limit never both pass),
inserts the clone and its samples, its event and its analysis job. If that transaction
fails, the blobs just written are deleted: no row points at a missing blob, and no sample
is left without its row. A process that dies between the two steps leaves that to a job
enqueued (and committed) before the samples are stored: an hour later it deletes them
unless their clone was recorded.

The upload holds no transaction while it decodes: a write transaction on SQLite is the
database's one writer.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.datastructures import UploadFile

from buena_server.config import Settings
from buena_server.errors import (
    InvalidAudio,
    InvalidRequest,
    PayloadTooLarge,
    SamplesTooShort,
    ValidationFailed,
    VoiceCloneLimitReached,
)
from buena_server.events.catalogue import VOICE_CLONE_CREATED
from buena_server.events.service import record_event
from buena_server.kit import clock
from buena_server.kit.blobs import BlobStore
from buena_server.kit.driver import Database
from buena_server.kit.ids import new_id
from buena_server.kit.validation import Context, validate
from buena_server.linkedin.service import nested
from buena_server.queue import enqueue
from buena_server.voice import audio
from buena_server.voice.repository import CloneRecord, SampleRecord, VoiceCloneRepository
from buena_server.voice.schemas import CreateVoiceCloneFields, VoiceClone
from buena_server.voice.service import (
    ANALYSE_TASK,
    SWEEP_UPLOAD_AFTER,
    SWEEP_UPLOAD_TASK,
    clone_prefix,
    event_data,
    logger,
    public,
)

FORM_FIELDS = ("name", "description", "files", "settings", "labels")
_JSON_FIELDS = ("settings", "labels")
MAX_FILENAME = 255


@dataclass(frozen=True, slots=True)
class UploadLimits:
    clone_limit: int
    max_files: int
    max_file_bytes: int
    min_seconds: float

    @classmethod
    def of(cls, settings: Settings) -> UploadLimits:
        return cls(
            settings.voice_clone_limit, settings.voice_max_files,
            settings.voice_max_file_bytes, settings.voice_min_sample_seconds,
        )  # fmt: skip


def upload_body_cap(settings: Settings) -> int:
    """The largest request body POST /voice-clones reads: every file at its cap, plus room
    for the form's other fields and the multipart framing."""
    return settings.voice_max_files * settings.voice_max_file_bytes + settings.max_body_bytes


def form_fields(form: Any) -> tuple[CreateVoiceCloneFields, list[UploadFile]]:
    """The form's fields, decoded (400 for a field missing, repeated, unknown, of the wrong
    kind, or ``settings``/``labels`` that are not JSON objects), and its files."""
    unknown = sorted(set(form.keys()) - set(FORM_FIELDS))
    if unknown:
        raise InvalidRequest(
            f"Unknown form field `{unknown[0]}`",
            details={"errors": [{"field": name, "message": "unknown field"} for name in unknown]},
        )
    files = form.getall("files") if "files" in form else []
    if any(not isinstance(item, UploadFile) for item in files):
        raise _bad("files", "files must be files (multipart parts with a filename)")
    raw: dict[str, Any] = {}
    for name in ("name", "description", *_JSON_FIELDS):
        values = form.getall(name) if name in form else []
        if len(values) > 1:
            raise _bad(name, f"{name} must be given once")
        if not values:
            continue
        if not isinstance(values[0], str):
            raise _bad(name, f"{name} must be a text field, not a file")
        raw[name] = values[0]
    for name in _JSON_FIELDS:
        if name in raw:
            try:
                raw[name] = msgspec.json.decode(raw[name])
            except msgspec.DecodeError:
                raise _bad(name, f"{name} must be a JSON object") from None
            if not isinstance(raw[name], dict):
                raise _bad(name, f"{name} must be a JSON object")
    if raw.get("description") == "":
        raw["description"] = None
    try:
        fields = msgspec.convert(raw, CreateVoiceCloneFields)
    except msgspec.ValidationError as exc:
        raise InvalidRequest(str(exc)) from None
    return fields, files


def _bad(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, details={"errors": [{"field": field, "message": message}]})


def _size_of(upload: UploadFile) -> int:
    file = upload.file
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


def _filename(upload: UploadFile) -> str:
    """The name as uploaded, without a client's directories."""
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "sample"
    return name.replace("\x00", "")[:MAX_FILENAME]


def check_files(files: Sequence[UploadFile], limits: UploadLimits) -> list[int]:
    """422 for too few or too many files, 413 naming the first one over the size cap; the
    sizes otherwise."""
    if not 1 <= len(files) <= limits.max_files:
        message = f"files must hold 1 to {limits.max_files} audio files (got {len(files)})"
        raise ValidationFailed(
            message, details={"errors": [{"field": "files", "message": message}]}
        )
    sizes = [_size_of(upload) for upload in files]
    for upload, size in zip(files, sizes, strict=True):
        if size > limits.max_file_bytes:
            raise file_too_large(_filename(upload), size, limits.max_file_bytes)
    return sizes


async def create_clone(
    database: Database, blobs: BlobStore, context: Context, limits: UploadLimits,
    account_id: str, fields: CreateVoiceCloneFields, files: Sequence[UploadFile],
) -> VoiceClone:  # fmt: skip
    fields = validate(fields, context)
    settings = nested(fields.settings, "settings", context)
    sizes = check_files(files, limits)
    async with database.transaction(write=False) as conn:
        count = await VoiceCloneRepository(conn).count(account_id)
    _check_limit(count, limits)
    clone_id = new_id("voice")
    prefix = clone_prefix(account_id, clone_id)
    samples: list[SampleRecord] = []
    for position, (upload, size) in enumerate(zip(files, sizes, strict=True)):
        filename = _filename(upload)
        data = await upload.read()
        try:
            decoded = await audio.decode_in_thread(data, filename, keep_samples=False)
        except audio.InvalidAudio as exc:
            raise invalid_audio(exc.filename, exc.reason) from None
        sample_id = new_id("vsmp")
        samples.append(SampleRecord(
            id=sample_id, clone_id=clone_id, position=position, filename=filename,
            format=decoded.format, size_bytes=size,
            duration_seconds=round(decoded.duration_seconds, 3),
            sample_rate=decoded.sample_rate, channels=decoded.channels,
            blob_key=f"{prefix}/samples/{sample_id}.{decoded.format}",
        ))  # fmt: skip
        del data  # one file in memory at a time: it is read again to be stored
    total = sum(sample.duration_seconds for sample in samples)
    if total < limits.min_seconds:
        raise too_short(
            total, limits.min_seconds, [(s.filename, s.duration_seconds) for s in samples]
        )
    now = clock.utcnow()
    record = CloneRecord(
        id=clone_id, account_id=account_id, name=fields.name, description=fields.description,
        status="processing", failure_reason=None, sample_count=len(samples),
        settings=msgspec.to_builtins(settings), labels=fields.labels, profile=None,
        created_at=now, updated_at=now,
    )  # fmt: skip
    # Should this process die between storing the samples and recording the clone, this job
    # deletes the samples no row names (it leaves a recorded clone's alone).
    async with database.transaction(write=True) as conn:
        await enqueue(
            conn, SWEEP_UPLOAD_TASK, {"account_id": account_id, "clone_id": clone_id},
            run_at=now + SWEEP_UPLOAD_AFTER,
        )  # fmt: skip
    try:
        for sample, upload in zip(samples, files, strict=True):
            await upload.seek(0)
            content_type = audio.CONTENT_TYPES[sample.format]  # type: ignore[index]
            await blobs.put(sample.blob_key, await upload.read(), content_type)
        async with database.transaction(write=True) as conn:
            repository = VoiceCloneRepository(conn)
            await repository.lock_account(account_id)
            _check_limit(await repository.count(account_id), limits)
            await repository.insert(record, samples)
            clone = public(record, samples)
            await record_event(conn, account_id, VOICE_CLONE_CREATED, event_data(clone))
            await enqueue(conn, ANALYSE_TASK, {"account_id": account_id, "clone_id": clone_id})
    except BaseException:
        with contextlib.suppress(Exception):
            await _forget(blobs, prefix)
        raise
    return clone


async def _forget(blobs: BlobStore, prefix: str) -> None:
    try:
        await blobs.delete_prefix(prefix)
    except Exception:
        logger.warning("could not delete the blobs of a refused upload under %s", prefix,
                       exc_info=True)  # fmt: skip


def _check_limit(count: int, limits: UploadLimits) -> None:
    if count >= limits.clone_limit:
        raise limit_reached(count, limits.clone_limit)


def limit_reached(count: int, limit: int) -> VoiceCloneLimitReached:
    return VoiceCloneLimitReached(
        f"The account has {count} voice clones, its limit: delete one first",
        details={"limit": limit, "count": count},
    )


def invalid_audio(filename: str, reason: str) -> InvalidAudio:
    return InvalidAudio(f"{filename}: {reason}", details={"filename": filename, "reason": reason})


def too_short(total: float, minimum: float, files: list[tuple[str, float]]) -> SamplesTooShort:
    """Naming each file with its duration (the issue: "422 naming the file")."""
    named = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in files)
    return SamplesTooShort(
        f"The samples last {total:.1f} s in all ({named}): at least {minimum:g} s needed",
        details={
            "duration_seconds": round(total, 3),
            "minimum_seconds": minimum,
            "files": [{"filename": n, "duration_seconds": round(d, 3)} for n, d in files],
        },
    )


def file_too_large(filename: str, size: int, cap: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"{filename} is {size} bytes: each file may be at most {cap}",
        details={"filename": filename, "size_bytes": size, "max_file_bytes": cap},
    )
