"""Previews apart from the route (voice/preview.py): a miss synthesises, streams and keeps the
MP3; a hit streams the kept one; what fails midway keeps nothing. The store is S3 on moto's
server, the engine the built-in eSpeak NG."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from buena_server.errors import VoiceCloneNotReady
from buena_server.kit.blobs import BlobStore, open_blob_store
from buena_server.voice.espeak import EspeakEngine
from buena_server.voice.preview import PreviewClone, preview, preview_key

from backends import SQLITE_PASS_ONLY
from s3_fake import moto_endpoint, s3_url  # noqa: F401  (fixtures)
from synthesis_testing import BrokenEngine, decode_mp3

pytestmark = SQLITE_PASS_ONLY

TEXT = "Hi Sam, it was good to meet you at the fair. Shall we talk on Tuesday?"
PROFILE = {
    "duration_seconds": 31.5,
    "sample_rate": 44_100,
    "loudness_lufs": -19.2,
    "silence_ratio": 0.18,
    "pitch_median_hz": 182.0,
    "pitch_min_hz": 140.0,
    "pitch_max_hz": 260.0,
    "speaking_rate": 4.6,
}
SETTINGS = {"stability": 0.5, "clarity": 0.75, "use_speaker_boost": True}


def clone(**changes: Any) -> PreviewClone:
    fields: dict[str, Any] = {
        "id": "voice_abc",
        "account_id": "acc_1",
        "status": "ready",
        "settings": SETTINGS,
        "profile": PROFILE,
        "updated_at": datetime(2026, 12, 1, tzinfo=UTC),
    }
    return PreviewClone(**(fields | changes))


@pytest.fixture(scope="module")
def engine() -> EspeakEngine:
    return EspeakEngine()


@pytest.fixture
async def store(s3_url: str) -> AsyncIterator[BlobStore]:  # noqa: F811
    opened = open_blob_store(s3_url)
    yield opened
    await opened.close()


async def read(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([piece async for piece in chunks])


async def test_a_miss_synthesises_streams_and_keeps(store: BlobStore, engine: EspeakEngine) -> None:
    audio = await preview(store, engine, clone(), TEXT)
    assert not audio.cached
    assert audio.content_length is None
    assert audio.key.startswith("voice/acc_1/voice_abc/previews/")
    assert audio.key.endswith(".mp3")
    assert not await store.exists(audio.key)  # nothing kept before the audio is made
    pieces = [piece async for piece in audio.chunks]
    assert len(pieces) > 1  # streamed as encoded
    data = b"".join(pieces)
    samples, rate, codec = decode_mp3(data)
    assert codec.startswith("mp3")
    assert rate == 22_050
    # 14 words at 4.6 syllables/s (184 words a minute): about 4 s, with pauses.
    assert 2.5 < samples.size / rate < 7
    assert await store.get(audio.key) == data


async def test_a_hit_streams_the_kept_preview(store: BlobStore, engine: EspeakEngine) -> None:
    first = await preview(store, engine, clone(), TEXT)
    made = await read(first.chunks)
    again = await preview(store, engine, clone(), TEXT)
    assert again.cached
    assert again.key == first.key
    assert again.content_length == len(made)
    assert await read(again.chunks) == made


async def test_a_long_kept_preview_streams_in_pieces(
    store: BlobStore, engine: EspeakEngine
) -> None:
    text = ("A longer preview, said again and again to pass a quarter of a megabyte. " * 7)[:500]
    made = await read((await preview(store, engine, clone(), text)).chunks)
    assert len(made) > 262_144 // 4
    again = await preview(store, engine, clone(), text)
    assert again.cached
    assert await read(again.chunks) == made


def test_the_key_covers_engine_clone_text_settings_and_profile(engine: EspeakEngine) -> None:
    base = preview_key(engine, clone(), TEXT)
    assert preview_key(engine, clone(), TEXT) == base
    assert preview_key(engine, clone(updated_at=datetime(2027, 1, 1, tzinfo=UTC)), TEXT) == base
    # Same settings in another order: the same key.
    reordered = dict(reversed(list(SETTINGS.items())))
    assert preview_key(engine, clone(settings=reordered), TEXT) == base
    others = {
        preview_key(engine, clone(), TEXT + "!"),
        preview_key(engine, clone(id="voice_xyz"), TEXT),
        preview_key(engine, clone(settings=SETTINGS | {"stability": 0.9}), TEXT),
        preview_key(engine, clone(profile=PROFILE | {"pitch_median_hz": 120.0}), TEXT),
        preview_key(engine, clone(profile=None), TEXT),
    }
    assert base not in others
    assert len(others) == 5
    assert preview_key(engine, clone(account_id="acc_2"), TEXT).startswith("voice/acc_2/")


@pytest.mark.parametrize("status", ["processing", "failed"])
async def test_only_a_ready_clone_speaks(
    store: BlobStore, engine: EspeakEngine, status: str
) -> None:
    reason = "sample2.wav: no speech found" if status == "failed" else None
    with pytest.raises(VoiceCloneNotReady) as refused:
        await preview(store, engine, clone(status=status, failure_reason=reason), TEXT)
    assert refused.value.status_code == 409
    assert refused.value.code == "VOICE_CLONE_NOT_READY"
    assert refused.value.details == {"status": status, "failure_reason": reason}


async def test_a_synthesis_failing_midway_keeps_nothing(store: BlobStore) -> None:
    audio = await preview(store, BrokenEngine(), clone(), TEXT)
    got: list[bytes] = []

    async def take() -> None:
        async for piece in audio.chunks:
            got.append(piece)

    with pytest.raises(RuntimeError, match="fell over"):
        await take()
    assert len(got) == 2
    assert not await store.exists(audio.key)
    assert not (await preview(store, BrokenEngine(), clone(), TEXT)).cached


async def test_a_caller_that_goes_away_keeps_nothing(
    store: BlobStore, engine: EspeakEngine
) -> None:
    audio = await preview(store, engine, clone(), TEXT)
    chunks = audio.chunks
    assert await anext(chunks)
    await chunks.aclose()  # type: ignore[attr-defined]
    assert not await store.exists(audio.key)
    # The engine is free for the next caller.
    assert decode_mp3(await read((await preview(store, engine, clone(), TEXT)).chunks))[0].size


async def test_a_store_that_cannot_keep_it_still_answers(
    moto_endpoint: str,  # noqa: F811
    engine: EspeakEngine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bucket that does not exist: the lookup misses, the audio is made and sent whole,
    and the failed write is logged, not raised."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    gone = open_blob_store(f"s3://no-such-bucket/p?endpoint_url={moto_endpoint}&region=us-east-1")
    audio = await preview(gone, engine, clone(), TEXT)
    with caplog.at_level(logging.WARNING, logger="buena_server.voice"):
        data = await read(audio.chunks)
    assert decode_mp3(data)[0].size / 22_050 > 2.5
    assert f"could not store the voice preview {audio.key}" in caplog.text


async def test_deleting_the_clone_deletes_its_previews(
    store: BlobStore, engine: EspeakEngine
) -> None:
    keys = []
    for text in ("One.", "Two.", "Three."):
        audio = await preview(store, engine, clone(), text)
        await read(audio.chunks)
        keys.append(audio.key)
    await store.put("voice/acc_1/voice_abc/samples/vsmp_1.wav", b"RIFF", "audio/wav")
    assert await store.delete_prefix("voice/acc_1/voice_abc") == 4
    for key in keys:
        assert not await store.exists(key)
