"""Helpers of the voice tests: uploads through the API, and the queue's worker run by hand."""

from __future__ import annotations

import random
from typing import Any

from buena_server.queue import Worker
from buena_server.services import Services, services_of
from buena_server.tasks import task_registry

from server_testing import API, Account
from voice_audio import Voice, voice_file

CLONES = f"{API}/voice-clones"
MIME = {"wav": "audio/wav", "mp3": "audio/mpeg", "m4a": "audio/mp4", "flac": "audio/flac"}

FileSpec = tuple[str, bytes] | tuple[str, bytes, str]


DEFAULT_VOICE = Voice()


def sample(
    audio_format: str = "wav", voice: Voice = DEFAULT_VOICE, name: str | None = None
) -> FileSpec:
    data = voice_file(audio_format, voice)
    return (name or f"sample.{audio_format}", data, MIME[audio_format])


async def upload(
    account: Account,
    *files: FileSpec,
    key: str | None = None,
    **fields: str,
) -> Any:
    data = {"name": "Ada", **fields}
    return await account.client.post(
        CLONES,
        data=data,
        files=[("files", spec) for spec in files],
        headers=account.headers(key),
    )


async def created(account: Account, *files: FileSpec, **fields: str) -> dict[str, Any]:
    response = await upload(account, *(files or (sample(),)), **fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["location"] == f"{CLONES}/{body['id']}"
    return body


async def fetched(account: Account, clone_id: str) -> dict[str, Any]:
    response = await account.client.get(f"{CLONES}/{clone_id}", headers=account.headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def worker_of(services: Services) -> Worker:
    return Worker(services.database, task_registry(), services, rng=random.Random(7))


async def run_jobs(account: Account) -> int:
    return await worker_of(services_of(account.client.app)).run_pending()
