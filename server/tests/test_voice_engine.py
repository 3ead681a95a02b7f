"""The voice engine seam (voice/engine.py): engines found by entry point, a wrong name refused
at start-up, and an engine of another distribution used by previews in place of eSpeak."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from importlib.metadata import EntryPoint

import pytest
from pydantic import ValidationError

from buena_server.config import Settings
from buena_server.kit.blobs import BlobStore, open_blob_store
from buena_server.voice import engine as seam
from buena_server.voice.espeak import EspeakEngine
from buena_server.voice.preview import PreviewClone, preview, preview_key

from backends import SQLITE_PASS_ONLY
from s3_fake import moto_endpoint, s3_url  # noqa: F401  (fixtures)
from synthesis_testing import ToneEngine, decode_mp3, pitch_track

pytestmark = SQLITE_PASS_ONLY

NEURAL = EntryPoint(
    name="neural", value="synthesis_testing:ToneEngine", group=seam.ENTRY_POINT_GROUP
)
NOT_AN_ENGINE = EntryPoint(
    name="odd", value="collections:OrderedDict", group=seam.ENTRY_POINT_GROUP
)


@pytest.fixture
def neural_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A "neural" engine installed beside the built-in one, as another distribution's entry
    point would install it."""
    installed = seam._entry_points()
    monkeypatch.setattr(seam, "_entry_points", lambda: (*installed, NEURAL, NOT_AN_ENGINE))


@pytest.fixture(autouse=True)
def no_developer_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("BUENA_"):
            monkeypatch.delenv(name)


def test_the_built_in_engine_is_installed_and_the_default() -> None:
    assert "espeak" in seam.installed_engines()
    assert Settings().voice_engine == "espeak"
    engine = seam.load_engine("espeak")
    assert isinstance(engine, EspeakEngine)
    assert isinstance(engine, seam.VoiceEngine)


def test_an_unknown_engine_is_refused_at_start_up_naming_the_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BUENA_VOICE_ENGINE", "neural")
    with pytest.raises(ValidationError) as refused:
        Settings()
    message = str(refused.value)
    assert "no voice engine named 'neural' is installed" in message
    assert "'buena.voice_engines'" in message
    assert "installed: espeak" in message
    with pytest.raises(seam.UnknownVoiceEngine, match="installed: espeak"):
        seam.load_engine("neural")


@pytest.mark.usefixtures("neural_installed")
def test_an_installed_engine_is_chosen_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUENA_VOICE_ENGINE", "neural")
    assert Settings().voice_engine == "neural"
    assert seam.installed_engines() == ["espeak", "neural", "odd"]
    engine = seam.load_engine("neural")
    assert isinstance(engine, ToneEngine)


@pytest.mark.usefixtures("neural_installed")
def test_an_entry_point_that_gives_no_engine_is_refused() -> None:
    with pytest.raises(TypeError, match=r"'odd' \(collections:OrderedDict\) is not a VoiceEngine"):
        seam.load_engine("odd")


@pytest.mark.usefixtures("neural_installed")
async def test_previews_speak_with_the_configured_engine(s3_url: str) -> None:  # noqa: F811
    store: BlobStore = open_blob_store(s3_url)
    clone = PreviewClone(
        id="voice_1",
        account_id="acc_1",
        status="ready",
        settings={"stability": 0.5, "clarity": 0.75, "use_speaker_boost": True},
        profile={"pitch_median_hz": 330.0},
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    neural = seam.load_engine("neural")
    audio = await preview(store, neural, clone, "A tone, not a voice.")
    data = b"".join([piece async for piece in audio.chunks])
    samples, rate, _ = decode_mp3(data)
    assert rate == ToneEngine.sample_rate  # eSpeak's would be 22,050
    assert samples.size / rate == pytest.approx(0.06 * 20, abs=0.1)
    assert float(pitch_track(samples, rate).mean()) == pytest.approx(330, rel=0.02)
    assert await store.get(audio.key) == data
    # The engine is part of the cache key: eSpeak says the same text into another blob.
    assert preview_key(EspeakEngine(), clone, "A tone, not a voice.") != audio.key
