"""POST /voice-clones/preview through the app: a ready clone (uploaded, analysed by the queue's
job) says a text as MP3, decoded back; the second request is a cache hit with the same bytes,
a settings change a miss; deleting the clone deletes its previews; not ready, unknown, another
account's, unauthenticated and unpermitted requests are refused; the text's bounds, the hosted
``voiceId``; and the engine BUENA_VOICE_ENGINE names (a test engine, by entry point) speaks."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from buena_server.services import services_of
from buena_server.voice import engine as seam

from server_testing import Account, assert_error
from synthesis_testing import ToneEngine, decode_mp3, pitch_track
from voice_audio import Voice
from voice_testing import CLONES, created, run_jobs, sample

PREVIEW = f"{CLONES}/preview"
SHORT = "Hi Sam, shall we talk on Tuesday?"
LONG = (
    "Hi Sam, it was good to meet you at the fair last week. I have been thinking about "
    "what you said about your team's plans for the spring, and I would like to show you "
    "how we could help. Shall we talk on Tuesday or Wednesday afternoon?"
)


async def ready_clone(account: Account, voice: Voice | None = None) -> dict[str, Any]:
    made = await created(account, sample("wav", voice or Voice()))
    assert await run_jobs(account) >= 1
    response = await account.client.get(f"{CLONES}/{made['id']}", headers=account.headers())
    body: dict[str, Any] = response.json()
    assert body["status"] == "ready", body
    return body


async def say(
    account: Account, body: dict[str, Any], key: str | None = None, headers: bool = True
) -> Any:
    return await account.client.post(
        PREVIEW, json=body, headers=account.headers(key) if headers else {}
    )


async def spoken(account: Account, clone_id: str, text: str) -> Any:
    response = await say(account, {"voice_id": clone_id, "text": text})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["content-disposition"] == 'attachment; filename="preview.mp3"'
    return response


def seconds_of(data: bytes) -> float:
    samples, rate, codec = decode_mp3(data)
    assert codec.startswith("mp3")
    return float(samples.size / rate)


def previews_of(account: Account, clone_id: str) -> list[Path]:
    root = Path(services_of(account.client.app).settings.storage_url.removeprefix("file:"))
    folder = root / "voice" / account.id / clone_id / "previews"
    return sorted(folder.glob("*.mp3")) if folder.exists() else []


async def test_a_ready_clone_says_the_text_and_the_second_time_it_is_cached(
    account: Account,
) -> None:
    clone = await ready_clone(account)
    first = await spoken(account, clone["id"], SHORT)
    assert first.headers["x-preview-cache"] == "miss"
    assert "content-length" not in first.headers  # streamed as it is encoded
    # eSpeak says ~34 characters in a couple of seconds, at the clone's pace.
    short_seconds = seconds_of(first.content)
    assert 1.0 < short_seconds < 6.0
    assert [p.read_bytes() for p in previews_of(account, clone["id"])] == [first.content]

    again = await spoken(account, clone["id"], SHORT)
    assert again.headers["x-preview-cache"] == "hit"
    assert again.content == first.content
    assert again.headers["content-length"] == str(len(first.content))

    longer = await spoken(account, clone["id"], LONG)
    assert longer.headers["x-preview-cache"] == "miss"
    long_seconds = seconds_of(longer.content)
    assert long_seconds > 3 * short_seconds
    assert long_seconds < 30.0
    assert len(previews_of(account, clone["id"])) == 2


async def test_a_settings_change_makes_a_new_preview(account: Account) -> None:
    clone = await ready_clone(account)
    first = await spoken(account, clone["id"], SHORT)
    response = await account.client.patch(
        f"{CLONES}/{clone['id']}", json={"settings": {"stability": 0.9}},
        headers=account.headers(),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    after = await spoken(account, clone["id"], SHORT)
    assert after.headers["x-preview-cache"] == "miss"
    assert len(previews_of(account, clone["id"])) == 2
    # A name is not part of the sound: the preview is still cached.
    response = await account.client.patch(
        f"{CLONES}/{clone['id']}", json={"name": "Ada again"}, headers=account.headers()
    )
    assert response.status_code == 200, response.text
    cached = await spoken(account, clone["id"], SHORT)
    assert cached.headers["x-preview-cache"] == "hit"
    assert cached.content == after.content
    assert seconds_of(first.content) > 0


async def test_deleting_the_clone_deletes_its_previews(account: Account) -> None:
    clone = await ready_clone(account)
    await spoken(account, clone["id"], SHORT)
    assert len(previews_of(account, clone["id"])) == 1
    response = await account.client.delete(f"{CLONES}/{clone['id']}", headers=account.headers())
    assert response.status_code == 204, response.text
    assert previews_of(account, clone["id"]) == []
    gone = await say(account, {"voice_id": clone["id"], "text": SHORT})
    assert_error(gone, 404, "VOICE_CLONE_NOT_FOUND")


async def test_a_clone_not_ready_is_refused(account: Account) -> None:
    processing = await created(account)
    error = assert_error(
        await say(account, {"voice_id": processing["id"], "text": SHORT}),
        409, "VOICE_CLONE_NOT_READY",
    )  # fmt: skip
    assert error["details"] == {"status": "processing", "failure_reason": None}
    # Silence only: the analysis finds no speech, and the clone fails.
    failed = await created(account, sample("wav", Voice(silence_share=1.0)))
    await run_jobs(account)
    error = assert_error(
        await say(account, {"voice_id": failed["id"], "text": SHORT}),
        409, "VOICE_CLONE_NOT_READY",
    )  # fmt: skip
    assert error["details"]["status"] == "failed"
    assert error["details"]["failure_reason"]
    assert previews_of(account, failed["id"]) == []


async def test_unknown_and_other_accounts_clones_are_not_found(
    account: Account, other_account: Account
) -> None:
    theirs = await ready_clone(other_account)
    for clone_id in (theirs["id"], "voice_doesnotexist000000000000", "x"):
        error = assert_error(
            await say(account, {"voice_id": clone_id, "text": SHORT}), 404, "VOICE_CLONE_NOT_FOUND"
        )
        assert error["details"] == {"voice_clone_id": clone_id}
    assert previews_of(other_account, theirs["id"]) == []


async def test_authentication_and_permission(account: Account) -> None:
    clone = await ready_clone(account)
    body = {"voice_id": clone["id"], "text": SHORT}
    assert_error(await say(account, body, headers=False), 401, "UNAUTHORIZED")
    key = await account.key_with("voice:read", "voice:create")
    error = assert_error(await say(account, body, key), 403, "PERMISSION_DENIED")
    assert error["details"]["required"] == ["voice:preview"]
    allowed = await account.key_with("voice:preview")
    assert (await say(account, body, allowed)).status_code == 200


async def test_text_bounds(account: Account) -> None:
    clone = await ready_clone(account)
    for text in ("", "   ", "a" * 501, "nul \x00 inside"):
        error = assert_error(
            await say(account, {"voice_id": clone["id"], "text": text}), 422, "VALIDATION_ERROR"
        )
        assert error["details"]["errors"][0]["field"] == "text"
    response = await say(account, {"voice_id": clone["id"], "text": "a" * 500})
    assert response.status_code == 200, response.text
    assert seconds_of(response.content) > 0
    one = await say(account, {"voice_id": clone["id"], "text": "?"})
    assert one.status_code == 200, one.text


async def test_the_hosted_voice_id_and_body_errors(account: Account) -> None:
    clone = await ready_clone(account)
    ours = await spoken(account, clone["id"], SHORT)
    hosted = await say(account, {"voiceId": clone["id"], "text": SHORT})
    assert hosted.status_code == 200, hosted.text
    assert hosted.headers["x-preview-cache"] == "hit"
    assert hosted.content == ours.content
    for body in (
        {"voice_id": clone["id"], "voiceId": clone["id"], "text": SHORT},
        {"text": SHORT},
        {"voice_id": clone["id"]},
        {"voice_id": 7, "text": SHORT},
        {"voice_id": clone["id"], "text": SHORT, "model": "x"},
    ):
        assert_error(await say(account, body), 400, "INVALID_REQUEST")


NEURAL = EntryPoint(
    name="neural", value="synthesis_testing:ToneEngine", group=seam.ENTRY_POINT_GROUP
)


@pytest.fixture
def neural_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A "neural" engine installed as another distribution would install it, and named by
    BUENA_VOICE_ENGINE (before the app's settings are read)."""
    installed = seam._entry_points()
    monkeypatch.setattr(seam, "_entry_points", lambda: (*installed, NEURAL))
    monkeypatch.setenv("BUENA_VOICE_ENGINE", "neural")


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    if "neural_engine" in request.fixturenames:
        request.getfixturevalue("neural_engine")
    return {}


@pytest.mark.usefixtures("neural_engine")
async def test_the_configured_engine_speaks(account: Account) -> None:
    services = services_of(account.client.app)
    assert services.settings.voice_engine == "neural"
    assert isinstance(services.voice_engine, ToneEngine)
    clone = await ready_clone(account, Voice(f0=180.0))
    response = await spoken(account, clone["id"], SHORT)
    samples, rate, _ = decode_mp3(response.content)
    assert rate == ToneEngine.sample_rate  # eSpeak's would be 22,050
    assert samples.size / rate == pytest.approx(0.06 * len(SHORT), abs=0.1)
    # The tone is at the pitch the analysis measured.
    measured = clone["profile"]["pitch_median_hz"]
    assert float(pitch_track(samples, rate).mean()) == pytest.approx(measured, rel=0.03)
