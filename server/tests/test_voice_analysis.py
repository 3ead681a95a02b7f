"""The analysis of a voice clone's samples, a job on the durable queue: the profile measured
from generated voices in each format (F0 within 5 %, the silent share, the syllable rate),
a clone without voiced speech failed with the reason, and an analysis whose worker died
finished by another app after its lease."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from buena_server.app import create_app
from buena_server.queue.repository import JobRepository
from buena_server.services import services_of

from server_testing import API, Account, MovedClock, running
from voice_audio import Voice, encode
from voice_testing import MIME, created, fetched, run_jobs, sample, worker_of


async def events_of(account: Account, event_type: str) -> list[dict[str, Any]]:
    response = await account.client.get(
        f"{API}/events", params={"type": event_type}, headers=account.headers()
    )
    data: list[dict[str, Any]] = response.json()["data"]
    return data


@pytest.mark.parametrize("audio_format", ["wav", "mp3", "m4a", "flac"])
async def test_profile_of_each_format(account: Account, audio_format: str) -> None:
    voice = Voice(f0=180.0, syllable_rate=4.5, silence_share=0.3, seconds=12.0)
    made = await created(account, sample(audio_format, voice))
    assert await run_jobs(account) == 1
    clone = await fetched(account, made["id"])
    assert (clone["status"], clone["is_active"], clone["failure_reason"]) == ("ready", True, None)
    profile = clone["profile"]
    assert profile["duration_seconds"] == pytest.approx(12.0, abs=0.1)
    assert profile["sample_rate"] == voice.sample_rate
    assert profile["pitch_median_hz"] == pytest.approx(voice.f0, rel=0.05)
    assert voice.f0 * 0.95 <= profile["pitch_min_hz"] <= profile["pitch_median_hz"]
    assert profile["pitch_median_hz"] <= profile["pitch_max_hz"] <= voice.f0 * 1.05
    assert profile["silence_ratio"] == pytest.approx(voice.silence_share, abs=0.03)
    assert profile["speaking_rate"] == pytest.approx(voice.syllable_rate, rel=0.1)
    # The signal peaks at -10 dBFS: loud speech, as BS.1770 measures it.
    assert -25 < profile["loudness_lufs"] < -10
    [ready] = await events_of(account, "voice_clone.ready")
    assert ready["data"]["object"] == clone


async def test_pitch_range_and_rate_over_several_samples(account: Account) -> None:
    low = Voice(f0=110.0, syllable_rate=3.0, silence_share=0.2, seconds=8.0)
    high = Voice(f0=210.0, syllable_rate=3.0, silence_share=0.2, seconds=8.0)
    made = await created(account, sample("flac", low), sample("mp3", high, name="high.mp3"))
    await run_jobs(account)
    profile = (await fetched(account, made["id"]))["profile"]
    assert profile["duration_seconds"] == pytest.approx(16.0, abs=0.1)
    assert profile["pitch_min_hz"] == pytest.approx(110.0, rel=0.05)
    assert profile["pitch_max_hz"] == pytest.approx(210.0, rel=0.05)
    assert 110 * 0.95 <= profile["pitch_median_hz"] <= 210 * 1.05
    assert profile["speaking_rate"] == pytest.approx(3.0, rel=0.1)
    assert profile["silence_ratio"] == pytest.approx(0.2, abs=0.03)


async def test_samples_without_voiced_speech_fail_the_clone(account: Account) -> None:
    rate = 16_000
    noise = np.random.default_rng(3).uniform(-0.3, 0.3, rate * 12).astype(np.float32)
    hiss = ("hiss.wav", encode(noise, rate, "wav"), MIME["wav"])
    made = await created(account, sample("wav"), hiss)
    assert await run_jobs(account) == 1
    clone = await fetched(account, made["id"])
    assert (clone["status"], clone["is_active"]) == ("failed", False)
    assert clone["failure_reason"] == "hiss.wav: no voiced speech found"
    assert clone["profile"] is None
    [failed] = await events_of(account, "voice_clone.failed")
    assert failed["data"]["object"]["failure_reason"] == clone["failure_reason"]
    listed = await account.client.get(
        f"{API}/voice-clones", params={"status": "failed"}, headers=account.headers()
    )
    assert [c["id"] for c in listed.json()["data"]] == [made["id"]]


async def test_a_missing_blob_fails_the_clone(account: Account) -> None:
    made = await created(account)
    blobs = services_of(account.client.app).blobs
    await blobs.delete_prefix(f"voice/{account.id}/{made['id']}")
    await run_jobs(account)
    clone = await fetched(account, made["id"])
    assert clone["status"] == "failed"
    assert clone["failure_reason"] == "sample.wav: the stored sample is missing"


async def test_an_analysis_whose_worker_died_is_done_by_another_app(
    account: Account, moved_clock: MovedClock
) -> None:
    made = await created(account, sample("m4a"))
    services = services_of(account.client.app)
    lease = services.settings.queue_lease_seconds
    # A worker claims the analysis, then its process dies: it never records an outcome.
    async with services.database.transaction(write=True) as conn:
        [lost] = await JobRepository(conn).claim(
            now=moved_clock.now(), lease_until=moved_clock.now() + timedelta(seconds=lease),
            token="wkr_dead", batch=10,
        )  # fmt: skip
    assert lost.task == "voice.analyse"
    async with running(create_app(services.settings)) as restarted:
        second = worker_of(services_of(restarted.app))
        assert await second.run_pending() == 0  # still leased
        moved_clock.advance(lease + 1)
        assert await second.run_pending() == 1
    clone = await fetched(account, made["id"])
    assert clone["status"] == "ready"
    assert clone["profile"]["pitch_median_hz"] == pytest.approx(Voice().f0, rel=0.05)
    assert len(await events_of(account, "voice_clone.ready")) == 1


async def test_a_clone_changed_while_processing_keeps_its_changes(account: Account) -> None:
    made = await created(account)
    response = await account.client.patch(
        f"{API}/voice-clones/{made['id']}", json={"name": "Renamed", "labels": {"a": "b"}},
        headers=account.headers(),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    await run_jobs(account)
    clone = await fetched(account, made["id"])
    assert (clone["status"], clone["name"], clone["labels"]) == ("ready", "Renamed", {"a": "b"})
