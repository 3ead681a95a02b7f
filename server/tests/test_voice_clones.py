"""POST/GET/PATCH/DELETE /voice-clones: the multipart upload and its checks (count, size,
type by decoding, total duration, the per-account limit under concurrency), reads, PATCH
semantics, deletes (with their blobs, refused while LinkedIn voice messages use the clone),
and the permission of each route."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from test_linkedin_api import connect, scheduled

from buena_server.services import services_of

from server_testing import API, Account, MovedClock, assert_error
from voice_audio import Voice
from voice_testing import CLONES, created, fetched, run_jobs, sample, upload


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Small caps, so that the tests reach them with small files.
    return {"voice_max_file_bytes": 2_000_000, "voice_max_files": 3, "voice_clone_limit": 3}


def blob_files(account: Account) -> list[Path]:
    root = Path(services_of(account.client.app).settings.storage_url.removeprefix("file:"))
    return sorted(p for p in root.rglob("*") if p.is_file())


class TestCreate:
    async def test_valid(self, account: Account) -> None:
        body = await created(
            account, sample("wav"), sample("flac", name="dir/two.flac"),
            description="Warm", settings='{"stability": 0.3}', labels='{"lang": "en"}',
        )  # fmt: skip
        assert body["id"].startswith("voice_")
        assert (body["name"], body["description"], body["status"]) == ("Ada", "Warm", "processing")
        assert (body["is_active"], body["profile"], body["failure_reason"]) == (True, None, None)
        assert body["settings"] == {"stability": 0.3, "clarity": 0.75, "use_speaker_boost": True}
        assert body["labels"] == {"lang": "en"}
        assert body["sample_count"] == 2
        first, second = body["samples"]
        assert (first["filename"], first["format"], second["filename"], second["format"]) == (
            "sample.wav", "wav", "two.flac", "flac",
        )  # fmt: skip
        assert first["id"].startswith("vsmp_")
        assert (first["sample_rate"], first["channels"]) == (22_050, 1)
        assert first["duration_seconds"] == pytest.approx(12.0, abs=0.01)
        assert await fetched(account, body["id"]) == body
        stored = blob_files(account)
        assert [p.name for p in stored] == sorted([f"{first['id']}.wav", f"{second['id']}.flac"])
        assert all(f"voice/{account.id}/{body['id']}/samples" in str(p) for p in stored)

    @pytest.mark.parametrize("audio_format", ["wav", "mp3", "m4a", "flac"])
    async def test_each_format_told_by_its_content(
        self, account: Account, audio_format: str
    ) -> None:
        # Named as if it were another format: the container decides.
        misnamed = sample(audio_format, name="voice.ogg")
        body = await created(account, misnamed)
        assert body["samples"][0]["format"] == audio_format

    async def test_anonymous(self, account: Account) -> None:
        response = await account.client.post(CLONES, files=[("files", sample())])
        assert_error(response, 401, "UNAUTHORIZED")

    async def test_missing_permission(self, account: Account) -> None:
        key = await account.key_with("voice:read")
        error = assert_error(await upload(account, sample(), key=key), 403, "PERMISSION_DENIED")
        assert error["details"]["required"] == ["voice:create"]
        assert blob_files(account) == []

    async def test_renamed_text_file(self, account: Account) -> None:
        text = ("notes.wav", b"These are not the samples you are looking for.\n" * 200)
        error = assert_error(await upload(account, sample(), text), 422, "INVALID_AUDIO")
        assert error["details"]["filename"] == "notes.wav"
        assert "notes.wav" in error["message"]
        assert blob_files(account) == []

    @pytest.mark.parametrize("audio_format", ["wav", "mp3", "m4a", "flac"])
    async def test_truncated_file(self, account: Account, audio_format: str) -> None:
        _name, data, mime = sample(audio_format)  # type: ignore[misc]
        cut = ("cut." + audio_format, data[: len(data) // 2], mime)
        error = assert_error(await upload(account, cut), 422, "INVALID_AUDIO")
        assert error["details"]["filename"] == "cut." + audio_format
        assert blob_files(account) == []

    async def test_file_over_the_size_cap(self, account: Account) -> None:
        big = sample("wav", Voice(seconds=50), name="long.wav")  # ~2.2 MB of PCM
        error = assert_error(await upload(account, sample(), big), 413, "PAYLOAD_TOO_LARGE")
        assert error["details"]["filename"] == "long.wav"
        assert error["details"]["max_file_bytes"] == 2_000_000
        assert blob_files(account) == []

    async def test_body_over_the_route_cap(self, account: Account) -> None:
        # Over files x cap (plus the JSON cap for the form's framing): refused unread.
        huge = ("huge.wav", b"\0" * (3 * 2_000_000 + 1_048_576 + 1), "audio/wav")
        assert_error(await upload(account, huge), 413, "PAYLOAD_TOO_LARGE")

    async def test_file_count(self, account: Account) -> None:
        # A multipart form without files (httpx sends one when given a plain field as a part).
        no_files = await account.client.post(
            CLONES, files={"name": (None, "Ada")}, headers=account.headers()
        )
        error = assert_error(no_files, 422, "VALIDATION_ERROR")
        assert error["details"]["errors"][0]["field"] == "files"
        four = [sample() for _ in range(4)]
        assert_error(await upload(account, *four), 422, "VALIDATION_ERROR")

    async def test_samples_too_short(self, account: Account) -> None:
        short = sample("mp3", Voice(seconds=4))
        error = assert_error(await upload(account, short, short), 422, "SAMPLES_TOO_SHORT")
        assert error["details"]["minimum_seconds"] == 10
        assert error["details"]["duration_seconds"] == pytest.approx(8, abs=0.1)
        assert [f["filename"] for f in error["details"]["files"]] == ["sample.mp3"] * 2
        assert "sample.mp3 4.0 s" in error["message"]
        assert blob_files(account) == []

    async def test_form_fields(self, account: Account) -> None:
        cases = [
            ({"settings": "{not json"}, 400, "INVALID_REQUEST"),
            ({"settings": "[1]"}, 400, "INVALID_REQUEST"),
            ({"settings": '{"stability": "high"}'}, 400, "INVALID_REQUEST"),
            ({"settings": '{"loudness": 1}'}, 400, "INVALID_REQUEST"),
            ({"settings": '{"stability": 1.5}'}, 422, "VALIDATION_ERROR"),
            ({"labels": '{"k": 1}'}, 400, "INVALID_REQUEST"),
            ({"labels": str({f"k{n}": "v" for n in range(21)}).replace("'", '"')}, 422,
             "VALIDATION_ERROR"),
            ({"name": "   "}, 422, "VALIDATION_ERROR"),
            ({"name": "x" * 101}, 422, "VALIDATION_ERROR"),
            ({"voice": "x"}, 400, "INVALID_REQUEST"),
        ]  # fmt: skip
        for fields, status, code in cases:
            assert_error(await upload(account, sample(), **fields), status, code)
        assert blob_files(account) == []

    async def test_idempotency_key_replays_the_upload(self, account: Account) -> None:
        # One request sent twice, as a client's retry sends it: the same multipart body (a
        # new boundary would make another body, 422 IDEMPOTENCY_KEY_MISMATCH).
        request = account.client.build_request(
            "POST", CLONES, data={"name": "Ada"}, files=[("files", sample("flac"))],
            headers={**account.headers(), "Idempotency-Key": "upload-1"},
        )  # fmt: skip
        answers = [await account.client.send(request) for _ in range(2)]
        assert [a.status_code for a in answers] == [201, 201]
        assert answers[1].json() == answers[0].json()
        assert answers[1].headers["idempotent-replayed"] == "true"
        listed = await account.client.get(CLONES, headers=account.headers())
        assert listed.json()["total"] == 1

    async def test_json_body_is_refused(self, account: Account) -> None:
        response = await account.client.post(
            CLONES, json={"name": "Ada"}, headers=account.headers()
        )
        assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


class TestLimit:
    async def test_limit(self, account: Account) -> None:
        for _ in range(3):
            await created(account)
        error = assert_error(await upload(account, sample()), 409, "VOICE_CLONE_LIMIT")
        assert error["details"] == {"limit": 3, "count": 3}
        assert len(blob_files(account)) == 3

    async def test_concurrent_creates_at_the_limit(self, account: Account) -> None:
        for _ in range(2):
            await created(account)
        answers = await asyncio.gather(*(upload(account, sample()) for _ in range(3)))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [201, 409, 409], [a.text for a in answers]
        listed = await account.client.get(CLONES, headers=account.headers())
        assert listed.json()["total"] == 3
        assert len(blob_files(account)) == 3  # the refused uploads left nothing


class TestSweep:
    async def test_samples_of_an_upload_never_recorded_are_swept(
        self, account: Account, moved_clock: MovedClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def dies(*_args: object) -> None:
            raise RuntimeError("the process died")

        async def never(*_args: object) -> None:
            """A dead process cleans nothing up."""

        with monkeypatch.context() as patched:
            patched.setattr("buena_server.voice.upload.VoiceCloneRepository.insert", dies)
            patched.setattr("buena_server.voice.upload._forget", never)
            assert_error(await upload(account, sample()), 500, "INTERNAL_ERROR")
        assert len(blob_files(account)) == 1
        kept = await created(account)  # recorded: its samples stay
        moved_clock.advance(hours=1, seconds=1)
        assert await run_jobs(account) == 3  # two sweeps and the kept clone's analysis
        assert [p.parent.parent.name for p in blob_files(account)] == [kept["id"]]


class TestRead:
    async def test_list_filters_and_pages(self, account: Account, other_account: Account) -> None:
        first = await created(account, name="First")
        second = await created(account, name="Second")
        await created(other_account)
        listed = (await account.client.get(CLONES, headers=account.headers())).json()
        assert [c["id"] for c in listed["data"]] == [second["id"], first["id"]]
        assert (listed["total"], listed["limit"], listed["offset"]) == (2, 50, 0)
        paged = await account.client.get(
            CLONES, params={"limit": 1, "offset": 1}, headers=account.headers()
        )
        assert [c["id"] for c in paged.json()["data"]] == [first["id"]]
        for status, total in (("processing", 2), ("ready", 0), ("failed", 0)):
            by = await account.client.get(
                CLONES, params={"status": status}, headers=account.headers()
            )
            assert by.json()["total"] == total
        for params in ({"status": "done"}, {"limit": 0}, {"offset": -1}):
            bad = await account.client.get(CLONES, params=params, headers=account.headers())
            assert_error(bad, 422, "VALIDATION_ERROR")

    async def test_not_found_and_other_accounts(
        self, account: Account, other_account: Account
    ) -> None:
        theirs = await created(other_account)
        for clone_id in (theirs["id"], "voice_missing", "x" * 200):
            response = await account.client.get(f"{CLONES}/{clone_id}", headers=account.headers())
            assert_error(response, 404, "VOICE_CLONE_NOT_FOUND")

    async def test_anonymous_and_missing_permission(self, account: Account) -> None:
        made = await created(account)
        key = await account.key_with("voice:create")
        for path in (CLONES, f"{CLONES}/{made['id']}"):
            assert_error(await account.client.get(path), 401, "UNAUTHORIZED")
            forbidden = await account.client.get(path, headers=account.headers(key))
            assert assert_error(forbidden, 403, "PERMISSION_DENIED")["details"]["required"] == [
                "voice:read"
            ]


class TestUpdate:
    async def test_patch_semantics(self, account: Account) -> None:
        made = await created(account, description="Warm", labels='{"a": "1", "b": "2"}')
        path = f"{CLONES}/{made['id']}"
        response = await account.client.patch(
            path, json={"name": " Ada 2 ", "settings": {"clarity": 0.9}, "labels": {"c": "3"}},
            headers=account.headers(),
        )  # fmt: skip
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["name"], body["description"]) == ("Ada 2", "Warm")
        assert body["settings"] == {"stability": 0.5, "clarity": 0.9, "use_speaker_boost": True}
        assert body["labels"] == {"c": "3"}
        assert body["updated_at"] >= made["updated_at"]
        cleared = await account.client.patch(
            path, json={"description": None}, headers=account.headers()
        )
        assert cleared.json()["description"] is None
        assert await fetched(account, made["id"]) == cleared.json()
        refused = [({"name": None}, 422), ({"settings": {"stability": 2}}, 422),
                   ({"settings": {"stability": "x"}}, 400), ({"extra": 1}, 400)]  # fmt: skip
        for bad, status in refused:
            response = await account.client.patch(path, json=bad, headers=account.headers())
            assert response.status_code == status, (bad, response.text)
        events = await account.client.get(
            f"{API}/events", params={"type": "voice_clone.updated"}, headers=account.headers()
        )
        assert events.json()["total"] == 2

    async def test_anonymous_missing_permission_not_found(self, account: Account) -> None:
        made = await created(account)
        path = f"{CLONES}/{made['id']}"
        assert_error(await account.client.patch(path, json={}), 401, "UNAUTHORIZED")
        key = await account.key_with("voice:read")
        forbidden = await account.client.patch(path, json={}, headers=account.headers(key))
        assert_error(forbidden, 403, "PERMISSION_DENIED")
        missing = await account.client.patch(
            f"{CLONES}/voice_missing", json={}, headers=account.headers()
        )
        assert_error(missing, 404, "VOICE_CLONE_NOT_FOUND")


class TestDelete:
    async def test_valid(self, account: Account, moved_clock: MovedClock) -> None:
        made = await created(account)
        assert blob_files(account)
        response = await account.client.delete(f"{CLONES}/{made['id']}", headers=account.headers())
        assert response.status_code == 204, response.text
        assert blob_files(account) == []
        again = await account.client.get(f"{CLONES}/{made['id']}", headers=account.headers())
        assert_error(again, 404, "VOICE_CLONE_NOT_FOUND")
        assert await run_jobs(account) == 1  # the analysis: the clone is gone
        moved_clock.advance(61)
        assert await run_jobs(account) == 1  # the blobs' safety net, nothing left to do
        events = await account.client.get(
            f"{API}/events", params={"type": "voice_clone.deleted"}, headers=account.headers()
        )
        assert events.json()["data"][0]["data"]["object"]["id"] == made["id"]

    async def test_blobs_a_failed_delete_left_are_deleted_by_a_job(
        self, account: Account, moved_clock: MovedClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        made = await created(account)
        blobs = services_of(account.client.app).blobs

        async def unavailable(prefix: str) -> int:
            raise OSError("storage unavailable")

        with monkeypatch.context() as patched:
            patched.setattr(blobs, "delete_prefix", unavailable)
            response = await account.client.delete(
                f"{CLONES}/{made['id']}", headers=account.headers()
            )
        assert response.status_code == 204, response.text
        assert len(blob_files(account)) == 1  # the rows are gone, the blob not yet
        moved_clock.advance(61)
        assert await run_jobs(account) == 2
        assert blob_files(account) == []

    async def test_in_use_by_pending_voice_messages(self, account: Account) -> None:
        await connect(account)
        made = await created(account)
        other = await created(account)
        voice = {"voice_id": made["id"], "text": "Hello Ada"}
        actions = [
            await scheduled(account, action_type="send_voice_message", voice_settings=voice,
                            profile_url=f"https://linkedin.com/in/ada-{n}")
            for n in range(2)
        ]  # fmt: skip
        path = f"{CLONES}/{made['id']}"
        error = assert_error(
            await account.client.delete(path, headers=account.headers()), 409, "VOICE_CLONE_IN_USE"
        )
        assert error["details"] == {"actions": [a["id"] for a in actions]}
        assert len(blob_files(account)) == 2
        # Another clone is free to go; this one once its messages are canceled.
        gone = await account.client.delete(f"{CLONES}/{other['id']}", headers=account.headers())
        assert gone.status_code == 204
        for action in actions:
            canceled = await account.client.post(
                f"{API}/linkedin/actions/{action['id']}/cancel", headers=account.headers()
            )
            assert canceled.status_code == 200, canceled.text
        assert (await account.client.delete(path, headers=account.headers())).status_code == 204
        assert blob_files(account) == []

    async def test_anonymous_missing_permission_not_found(self, account: Account) -> None:
        made = await created(account)
        path = f"{CLONES}/{made['id']}"
        assert_error(await account.client.delete(path), 401, "UNAUTHORIZED")
        key = await account.key_with("voice:read", "voice:update")
        forbidden = await account.client.delete(path, headers=account.headers(key))
        assert_error(forbidden, 403, "PERMISSION_DENIED")
        missing = await account.client.delete(f"{CLONES}/voice_x", headers=account.headers())
        assert_error(missing, 404, "VOICE_CLONE_NOT_FOUND")
        assert len(blob_files(account)) == 1
