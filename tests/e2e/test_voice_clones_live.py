"""The SDK's voice-clone operations against the live server: a clone made from generated
samples (a file path and bytes), analysed until ready, renamed, previewed as MP3 (bytes, a
stream, a file), deleted; the errors with their codes; and the README's voice example run
as written.
"""

import io
import math
import re
import struct
import time
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import buena_sdk
from buena_sdk import VoiceClonesApi

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
HOST = 'host="http://127.0.0.1:8000/api/v2"'
KEY = '= "bna_..."'
RATE = 16_000
# Analysis runs as a job on the server's queue: how long a test waits for it at most.
ANALYSIS_SECONDS = 60.0


def speech_like_wav(seconds: float, f0: float = 120.0) -> bytes:
    """A mono 16-bit WAV of voiced "syllables", 4 a second (180 ms of a harmonic tone
    gliding around ``f0``, then 70 ms of silence): what the analysis measures as pitch,
    pace and silence, made without any audio library."""
    frames = bytearray()
    phase = 0.0
    for n in range(int(seconds * RATE)):
        t = n / RATE
        position = t % 0.25
        # The phase is the running sum of the gliding pitch (sin(2 pi pitch(t) t) would sweep
        # far wider than the pitch itself, as t grows).
        pitch = f0 * (1.0 + 0.08 * math.sin(2 * math.pi * 1.3 * t))
        phase += 2 * math.pi * pitch / RATE
        if position < 0.18:
            envelope = math.sin(math.pi * position / 0.18)
            value = sum(math.sin(phase * k) / k for k in range(1, 6))
            sample = int(9000 * envelope * value)
        else:
            sample = 0
        frames += struct.pack("<h", max(-32768, min(32767, sample)))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


SAMPLE = speech_like_wav(6.0)


def _configuration(server: Any) -> buena_sdk.Configuration:
    return buena_sdk.Configuration(host=server.host, api_key={"ApiKeyAuth": server.key})


@pytest.fixture
def voices(server: Any) -> Iterator[VoiceClonesApi]:
    with buena_sdk.ApiClient(_configuration(server)) as client:
        api = VoiceClonesApi(client)
        _delete_all(api)  # the account's clone limit is shared by the session's tests
        yield api
        _delete_all(api)


@pytest.fixture
async def async_voices(server: Any) -> AsyncIterator[VoiceClonesApi]:
    async with buena_sdk.ApiClient(_configuration(server)) as client:
        api = VoiceClonesApi(client)
        yield api


def _delete_all(api: VoiceClonesApi) -> None:
    for clone in api.list_voice_clones(limit=100).data:
        api.delete_voice_clone(clone.id)


def _until_analysed(api: VoiceClonesApi, clone: buena_sdk.VoiceClone) -> buena_sdk.VoiceClone:
    deadline = time.monotonic() + ANALYSIS_SECONDS
    while clone.status == "processing":
        assert time.monotonic() < deadline, "the analysis did not finish"
        time.sleep(0.2)
        clone = api.get_voice_clone(clone.id)
    return clone


def is_mp3(audio: bytes) -> bool:
    """An ID3 tag or an MPEG audio frame sync at the start."""
    return audio.startswith(b"ID3") or (audio[0] == 0xFF and audio[1] & 0xE0 == 0xE0)


def test_create_analyse_update_preview_and_delete(voices: VoiceClonesApi, tmp_path: Path) -> None:
    first = tmp_path / "ada-1.wav"
    first.write_bytes(SAMPLE)
    made = voices.create_voice_clone_with_http_info(
        "Ada",
        [first, ("ada-2.wav", speech_like_wav(6.0, f0=130.0))],
        description="Ada, calm",
        settings={"stability": 0.3},
        labels={"accent": "british"},
    )
    assert made.status_code == 201
    assert made.headers["Location"].endswith(f"/voice-clones/{made.data.id}")
    clone = made.data
    assert (clone.status, clone.sample_count) == ("processing", 2)
    assert [s.filename for s in clone.samples] == ["ada-1.wav", "ada-2.wav"]
    assert {s.format for s in clone.samples} == {"wav"}
    assert (clone.settings.stability, clone.settings.clarity) == (0.3, 0.75)

    clone = _until_analysed(voices, clone)
    assert clone.status == "ready", clone.failure_reason
    assert clone.profile is not None
    assert clone.profile.duration_seconds == pytest.approx(12.0, abs=0.1)
    assert clone.profile.sample_rate == RATE
    assert 90.0 < clone.profile.pitch_median_hz < 170.0
    assert [c.id for c in voices.list_voice_clones(status="ready").data] == [clone.id]

    changed = voices.update_voice_clone(
        clone.id, {"name": "Ada L", "settings": {"clarity": 0.9}, "labels": {"tone": "warm"}}
    )
    assert (changed.name, changed.labels) == ("Ada L", {"tone": "warm"})
    assert (changed.settings.stability, changed.settings.clarity) == (0.3, 0.9)

    request = buena_sdk.VoicePreviewRequest(voice_id=clone.id, text="Hello, this is Ada.")
    answer = voices.preview_voice_clone_with_http_info(request)
    assert answer.headers["Content-Type"].startswith("audio/mpeg")
    assert 'filename="preview.mp3"' in answer.headers["Content-Disposition"]
    assert is_mp3(answer.data)
    target = tmp_path / "preview.mp3"
    assert voices.preview_voice_clone_to(target, request) == target.stat().st_size
    assert is_mp3(target.read_bytes())

    voices.delete_voice_clone(clone.id)
    with pytest.raises(buena_sdk.NotFoundException) as caught:
        voices.get_voice_clone(clone.id)
    assert caught.value.code == "VOICE_CLONE_NOT_FOUND"


async def test_async_forms(voices: VoiceClonesApi, async_voices: VoiceClonesApi) -> None:
    clone = await async_voices.create_voice_clone_async(
        "Async", [("a.wav", SAMPLE), ("b.wav", SAMPLE)]
    )
    assert (await async_voices.get_voice_clone_async(clone.id)).name == "Async"
    page = await async_voices.list_voice_clones_async()
    assert clone.id in [c.id for c in page.data]
    clone = _until_analysed(voices, clone)
    assert clone.status == "ready", clone.failure_reason
    request = {"voice_id": clone.id, "text": "Streamed as it is made."}
    chunks = [chunk async for chunk in async_voices.preview_voice_clone_stream_async(request)]
    assert is_mp3(b"".join(chunks))
    await async_voices.delete_voice_clone_async(clone.id)


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        ([("notes.wav", b"these are words, not audio\n" * 100)], 422, "INVALID_AUDIO"),
        ([("short.wav", speech_like_wav(2.0))], 422, "SAMPLES_TOO_SHORT"),
    ],
)
def test_refused_uploads_store_nothing(
    voices: VoiceClonesApi, files: list[Any], status: int, code: str
) -> None:
    with pytest.raises(buena_sdk.ApiException) as caught:
        voices.create_voice_clone("Refused", files)
    assert (caught.value.status, caught.value.code) == (status, code)
    assert files[0][0] in str(caught.value)  # the message names the file
    assert voices.list_voice_clones().total == 0


def test_readme_voice_example_runs_again_and_again(
    server: Any,
    voices: VoiceClonesApi,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocks = [b for b in _BLOCK.findall(README.read_text()) if "VoiceClonesApi(api_client)" in b]
    assert len(blocks) == 1, "expected one voice-cloning SDK example in README.md"
    assert HOST in blocks[0]
    assert KEY in blocks[0]
    code = blocks[0].replace(HOST, f"host={server.host!r}").replace(KEY, f"= {server.key!r}")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "samples").mkdir()
    for name in re.findall(r'"samples/([\w.-]+)"', code):
        (tmp_path / "samples" / name).write_bytes(SAMPLE)
    compiled = compile(code, str(README), "exec")
    for _ in range(2):
        exec(compiled, {"__name__": "readme_voice_example"})  # noqa: S102
        printed = capsys.readouterr().out.splitlines()
        assert printed[0] == "ready", printed
        assert is_mp3((tmp_path / "preview.mp3").read_bytes())
    assert voices.list_voice_clones().total == 0  # the example deletes its clone
