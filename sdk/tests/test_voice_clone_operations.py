"""The voice-clone operations: the multipart upload (parsed back part by part), retries
that resend the whole body, the MP3 preview as bytes, streamed and written to a file, and
the API's errors reaching the caller with their codes. Most run over the scripted
transport in both forms (sync and ``_async``); the ``live`` ones over the real urllib3 and
aiohttp transports against a local HTTP server."""

import email.policy
import io
import json
import mimetypes
import os
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Callable, Optional

import pydantic
import pytest

import buena_sdk
from buena_sdk import DefaultApi, VoiceClonesApi
from buena_sdk.models import VoiceCloneSettingsInput, VoiceCloneUpdate

KEY = "bna_" + "ef" * 32
# Not real audio: the SDK never looks inside, and every byte value must survive.
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) + b"\r\n--\r\n" + os.urandom(4096)
MP3 = b"ID3\x04\x00" + os.urandom(200_000)  # over three 64 KiB chunks

VOICE_CLONE: dict[str, Any] = {
    "id": "voice_1",
    "name": "Ada",
    "description": None,
    "status": "processing",
    "failure_reason": None,
    "is_active": True,
    "sample_count": 1,
    "samples": [
        {
            "id": "vsmp_1",
            "filename": "ada.wav",
            "format": "wav",
            "size_bytes": 4400,
            "duration_seconds": 12.5,
            "sample_rate": 16000,
            "channels": 1,
        }
    ],
    "settings": {"stability": 0.5, "clarity": 0.75, "use_speaker_boost": True},
    "labels": {},
    "profile": None,
    "created_at": "2026-12-06T07:00:00Z",
    "updated_at": "2026-12-06T07:00:00Z",
}
PROFILE = {
    "duration_seconds": 12.5,
    "sample_rate": 16000,
    "loudness_lufs": -21.3,
    "silence_ratio": 0.18,
    "pitch_median_hz": 118.0,
    "pitch_min_hz": 92.5,
    "pitch_max_hz": 161.0,
    "speaking_rate": 4.2,
}
WAV_TYPE = mimetypes.guess_type("a.wav")[0]  # audio/x-wav or audio/wav, by Python version
MPEG = {"Content-Type": "audio/mpeg", "Content-Disposition": 'attachment; filename="preview.mp3"'}


@dataclass
class Part:
    name: str
    filename: Optional[str]
    content_type: str
    data: bytes


def parse_form(headers: Any, body: bytes) -> list[Part]:
    """The parts of a multipart/form-data body, read by the standard library's parser."""
    content_type = {name.lower(): value for name, value in headers.items()}["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    assert message.is_multipart()
    return [
        Part(
            part.get_param("name", header="content-disposition"),
            part.get_filename(),
            part.get_content_type(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    ]


def _error(code: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"error": True, "code": code, "message": code.lower(), "details": details}


# -- create_voice_clone: the form -------------------------------------------------------


async def test_create_sends_every_field_and_file_as_parts(
    fake_api: Any, invoke: Any, tmp_path: Path
) -> None:
    path = tmp_path / "first take.wav"
    path.write_bytes(WAV)
    fake_api.transport.reply(201, VOICE_CLONE, headers={"Location": "/api/v2/voice-clones/v"})
    with open(path, "rb") as opened:  # noqa: ASYNC230 (a file object the caller opened)
        clone = await invoke(
            fake_api.api,
            "create_voice_clone",
            "Ada",
            [path, str(path), WAV, ("b.flac", b"fLaC"), ("c.bin", b"\x00", "audio/mp4"), opened],
            description="Ada, calm",
            settings={"stability": 0.3},
            labels={"accent": "british"},
        )
    assert isinstance(clone, buena_sdk.VoiceClone)
    assert clone.settings.clarity == 0.75
    assert clone.samples[0].format == "wav"
    sent = fake_api.last
    assert (sent.method, sent.url) == ("POST", "http://sdk.test/api/v2/voice-clones")
    assert len(sent.headers["Idempotency-Key"]) == 36
    parts = parse_form(sent.headers, sent.body)
    fields = {part.name: part.data.decode() for part in parts if part.filename is None}
    assert fields == {
        "name": "Ada",
        "description": "Ada, calm",
        "settings": '{"stability":0.3}',
        "labels": '{"accent":"british"}',
    }
    assert json.loads(fields["settings"]) == {"stability": 0.3}
    files = [(p.name, p.filename, p.content_type, p.data) for p in parts if p.filename]
    assert files == [
        ("files", "first take.wav", WAV_TYPE, WAV),
        ("files", "first take.wav", WAV_TYPE, WAV),
        ("files", "sample3", "application/octet-stream", WAV),
        ("files", "b.flac", files[3][2], b"fLaC"),
        ("files", "c.bin", "audio/mp4", b"\x00"),
        ("files", "first take.wav", WAV_TYPE, WAV),
    ]


async def test_create_leaves_out_what_is_not_given(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(201, VOICE_CLONE)
    await invoke(fake_api.api, "create_voice_clone", "Ada", (("ada.mp3", MP3),))
    parts = parse_form(fake_api.last.headers, fake_api.last.body)
    assert [(p.name, p.filename) for p in parts] == [("name", None), ("files", "ada.mp3")]
    assert (parts[1].content_type, parts[1].data) == ("audio/mpeg", MP3)


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ("ada.wav", TypeError),  # one path where a list is meant
        (b"RIFF", TypeError),
        (("ada.wav", b"RIFF"), TypeError),  # one file tuple, not two files
        (iter([b"RIFF"]), TypeError),
        ([123], TypeError),
        ([("ada.wav",)], TypeError),
        ([("ada.wav", "text, not bytes")], TypeError),
        ([io.StringIO("text mode")], TypeError),
        (["/no/such/sample.wav"], FileNotFoundError),
    ],
)
async def test_files_that_cannot_be_sent_fail_before_any_request(
    fake_api: Any, invoke: Any, files: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await invoke(fake_api.api, "create_voice_clone", "Ada", files)
    assert fake_api.transport.requests == []


async def test_unknown_settings_fail_locally(fake_api: Any, invoke: Any) -> None:
    with pytest.raises(pydantic.ValidationError):
        await invoke(fake_api.api, "create_voice_clone", "Ada", [WAV], settings={"speed": 2})
    assert fake_api.transport.requests == []


async def test_a_retry_resends_the_whole_body_with_the_same_key(
    fake_api: Any, invoke: Any, error_body: Callable[..., Any]
) -> None:
    fake_api.transport.reply(503, error_body(503, "SERVICE_UNAVAILABLE", "busy"))
    fake_api.transport.reply(201, VOICE_CLONE)
    sample = io.BytesIO(WAV)  # read once: the retry must not find it at its end
    clone = await invoke(fake_api.api, "create_voice_clone", "Ada", [sample])
    assert clone.id == "voice_1"
    first, second = fake_api.transport.requests
    assert first.body == second.body
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.headers["Content-Type"] == second.headers["Content-Type"]
    assert [p.data for p in parse_form(second.headers, second.body)] == [b"Ada", WAV]
    assert fake_api.sleeps == [0.5]


# -- list, get, update, delete ----------------------------------------------------------


async def test_list_sends_the_filters_and_parses_the_page(fake_api: Any, invoke: Any) -> None:
    ready = {**VOICE_CLONE, "status": "ready", "profile": PROFILE, "labels": {"a": "b"}}
    fake_api.transport.reply(200, {"data": [ready], "total": 1})
    page = await invoke(fake_api.api, "list_voice_clones", status="ready", limit=10, offset=0)
    assert fake_api.last.url.endswith("/voice-clones?status=ready&limit=10&offset=0")
    assert page.total == 1
    assert page.data[0].profile is not None
    assert page.data[0].profile.pitch_median_hz == 118.0
    assert page.data[0].labels == {"a": "b"}


async def test_get_and_update(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(200, VOICE_CLONE)
    assert (await invoke(fake_api.api, "get_voice_clone", "voice_1")).name == "Ada"
    assert fake_api.last.url.endswith("/voice-clones/voice_1")
    renamed = {**VOICE_CLONE, "name": "Ada L", "settings": {**VOICE_CLONE["settings"]}}
    fake_api.transport.reply(200, renamed)
    update = VoiceCloneUpdate(
        name="Ada L", description=None, settings=VoiceCloneSettingsInput(clarity=0.9)
    )
    clone = await invoke(fake_api.api, "update_voice_clone", "voice_1", update)
    assert clone.name == "Ada L"
    assert fake_api.last.method == "PATCH"
    # Only what was given: description cleared (null), settings with the one field set.
    assert fake_api.last_json() == {
        "name": "Ada L",
        "description": None,
        "settings": {"clarity": 0.9},
    }


async def test_delete_answers_none_on_204(fake_api: Any, mode: str) -> None:
    fake_api.transport.reply(204, raw=b"")
    if mode == "sync":
        answer = fake_api.api.delete_voice_clone_with_http_info("voice_1")
    else:
        answer = await fake_api.api.delete_voice_clone_with_http_info_async("voice_1")
    assert (answer.status_code, answer.data) == (204, None)
    assert fake_api.last.method == "DELETE"
    fake_api.transport.reply(204, raw=b"")
    assert fake_api.api.delete_voice_clone("voice_1") is None


@pytest.mark.parametrize(
    ("operation", "args", "status", "code", "details", "exception"),
    [
        ("get_voice_clone", ("voice_x",), 404, "VOICE_CLONE_NOT_FOUND", {}, "NotFoundException"),
        (
            "delete_voice_clone",
            ("voice_1",),
            409,
            "VOICE_CLONE_IN_USE",
            {"actions": ["lia_1"]},
            "ConflictException",
        ),
        (
            "create_voice_clone",
            ("Ada", [WAV]),
            409,
            "VOICE_CLONE_LIMIT",
            {"limit": 5, "count": 5},
            "ConflictException",
        ),
        (
            "create_voice_clone",
            ("Ada", [("bad.wav", b"text")]),
            422,
            "INVALID_AUDIO",
            {"file": "bad.wav"},
            "UnprocessableEntityException",
        ),
        ("create_voice_clone", ("Ada", [WAV]), 413, "FILE_TOO_LARGE", {}, "ApiException"),
        (
            "preview_voice_clone",
            ({"voice_id": "voice_1", "text": "Hi"},),
            409,
            "VOICE_CLONE_NOT_READY",
            {"status": "processing", "failure_reason": None},
            "ConflictException",
        ),
    ],
)
async def test_errors_reach_the_caller_with_their_code(
    fake_api: Any,
    invoke: Any,
    operation: str,
    args: tuple[Any, ...],
    status: int,
    code: str,
    details: dict[str, Any],
    exception: str,
) -> None:
    fake_api.transport.reply(status, _error(code, details))
    with pytest.raises(getattr(buena_sdk, exception)) as caught:
        await invoke(fake_api.api, operation, *args)
    assert (caught.value.status, caught.value.code, caught.value.details) == (
        status,
        code,
        details,
    )
    assert len(fake_api.transport.requests) == 1  # none of these is retried


# -- preview ----------------------------------------------------------------------------


async def test_preview_returns_the_mp3_bytes(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(200, raw=MP3, headers=MPEG)
    audio = await invoke(
        fake_api.api, "preview_voice_clone", {"voice_id": "voice_1", "text": "Hello"}
    )
    assert audio == MP3
    sent = fake_api.last
    assert (sent.method, sent.url.rsplit("/v2", 1)[1]) == ("POST", "/voice-clones/preview")
    assert sent.headers["Accept"] == "audio/mpeg, application/json"
    assert fake_api.last_json() == {"voice_id": "voice_1", "text": "Hello"}


def test_preview_with_http_info_has_the_headers(fake_api: Any) -> None:
    fake_api.transport.reply(200, raw=MP3, headers=MPEG)
    request = buena_sdk.VoicePreviewRequest(voice_id="voice_1", text="Hello")
    answer = fake_api.api.preview_voice_clone_with_http_info(request)
    assert (answer.data, answer.raw_data) == (MP3, MP3)
    assert answer.headers["content-disposition"] == 'attachment; filename="preview.mp3"'


def test_an_unknown_preview_field_fails_locally(fake_api: Any) -> None:
    with pytest.raises(pydantic.ValidationError):
        fake_api.api.preview_voice_clone({"voiceId": "voice_1", "text": "Hello"})
    assert fake_api.transport.requests == []


async def test_preview_to_a_file_object(fake_api: Any, mode: str) -> None:
    fake_api.transport.reply(200, raw=MP3, headers=MPEG)
    target = io.BytesIO()
    request = {"voice_id": "voice_1", "text": "Hello"}
    if mode == "sync":
        written = fake_api.api.preview_voice_clone_to(target, request)
    else:
        written = await fake_api.api.preview_voice_clone_to_async(target, request)
    assert (written, target.getvalue()) == (len(MP3), MP3)


async def test_a_failed_preview_leaves_no_file(fake_api: Any, mode: str, tmp_path: Path) -> None:
    fake_api.transport.reply(409, _error("VOICE_CLONE_NOT_READY", {"status": "failed"}))
    target = tmp_path / "preview.mp3"
    request = {"voice_id": "voice_1", "text": "Hello"}
    if mode == "sync":
        with pytest.raises(buena_sdk.ConflictException):
            fake_api.api.preview_voice_clone_to(target, request)
    else:
        with pytest.raises(buena_sdk.ConflictException):
            await fake_api.api.preview_voice_clone_to_async(target, request)
    assert not os.listdir(tmp_path)


def test_the_domain_api_is_usable_alone(fake_api: Any) -> None:
    fake_api.transport.reply(200, {"data": [], "total": 0})
    assert VoiceClonesApi(fake_api.client).list_voice_clones().total == 0


# -- over the real transports -----------------------------------------------------------


def _client(host: str) -> buena_sdk.ApiClient:
    configuration = buena_sdk.Configuration(host=host, api_key={"ApiKeyAuth": KEY})
    client = buena_sdk.ApiClient(configuration)
    client._sleep = lambda seconds: None

    async def no_wait(seconds: float) -> None:
        return None

    client._async_sleep = no_wait
    return client


def _script_upload_then_preview(
    live_server: Any, tmp_path: Path, error_body: Callable[..., Any]
) -> Path:
    """The server's answers (a 503, the clone, then the MP3 to every later request), and
    the sample file to upload."""
    live_server.script(503, error_body(503, "SERVICE_UNAVAILABLE", "busy"))
    live_server.script(201, VOICE_CLONE)
    live_server.script(200, MP3, MPEG)
    sample = tmp_path / "ada.wav"
    sample.write_bytes(WAV)
    return sample


def _assert_uploads(live_server: Any) -> None:
    """Two attempts (503, then 201) of one upload: the same key and the same bytes."""
    first, second = live_server.requests
    assert first.path == second.path == "/api/v2/voice-clones"
    assert first.body == second.body
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert int(second.headers["Content-Length"]) == len(second.body)
    parts = parse_form(second.headers, second.body)
    assert [(p.name, p.filename, p.data) for p in parts] == [
        ("name", None, b"Ada"),
        ("settings", None, b'{"use_speaker_boost":false}'),
        ("files", "ada.wav", WAV),
        ("files", "ada.mp3", MP3),
    ]


def test_live_urllib3_upload_retried_and_preview_streamed(
    live_server: Any, tmp_path: Path, error_body: Callable[..., Any]
) -> None:
    sample = _script_upload_then_preview(live_server, tmp_path, error_body)
    with _client(live_server.host) as client:
        api = DefaultApi(client)
        files = [sample, ("ada.mp3", MP3)]
        clone = api.create_voice_clone("Ada", files, settings={"use_speaker_boost": False})
        assert clone.status == "processing"
        _assert_uploads(live_server)
        chunks = list(api.preview_voice_clone_stream({"voice_id": clone.id, "text": "Hi"}))
        assert len(chunks) > 1  # handed over as it arrives, not read whole first
        assert b"".join(chunks) == MP3
        target = tmp_path / "preview.mp3"
        assert api.preview_voice_clone_to(target, {"voice_id": clone.id, "text": "Hi"}) == len(MP3)
        assert target.read_bytes() == MP3
        assert api.preview_voice_clone({"voice_id": clone.id, "text": "Hi"}) == MP3


async def test_live_aiohttp_upload_retried_and_preview_streamed(
    live_server: Any, tmp_path: Path, error_body: Callable[..., Any]
) -> None:
    sample = _script_upload_then_preview(live_server, tmp_path, error_body)
    async with _client(live_server.host) as client:
        api = DefaultApi(client)
        with open(sample, "rb") as opened:  # noqa: ASYNC230 (a file object the caller opened)
            clone = await api.create_voice_clone_async(
                "Ada", [opened, ("ada.mp3", MP3)], settings={"use_speaker_boost": False}
            )
        assert clone.id == "voice_1"
        _assert_uploads(live_server)
        request = {"voice_id": clone.id, "text": "Hi"}
        chunks = [chunk async for chunk in api.preview_voice_clone_stream_async(request)]
        assert b"".join(chunks) == MP3
        target = tmp_path / "preview.mp3"
        assert await api.preview_voice_clone_to_async(target, request) == len(MP3)
        assert target.read_bytes() == MP3
        assert await api.preview_voice_clone_async(request) == MP3
