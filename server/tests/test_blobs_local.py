"""The local blob store (kit/blobs_local.py): keys refused, atomic writes, streams,
delete_prefix, and the factory by URL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from buena_server.kit.blobs import BlobNotFoundError, open_blob_store
from buena_server.kit.blobs_local import LocalBlobStore

from backends import SQLITE_PASS_ONLY

pytestmark = SQLITE_PASS_ONLY


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore.from_url(f"file:{tmp_path / 'blobs'}")


@pytest.mark.parametrize(
    "key", ["", "/abs", "a//b", "../up", "a/../b", "a/./b", "a/b/", "sp ace", "a\\b", "é"]
)
async def test_unsafe_keys_are_refused(store: LocalBlobStore, key: str) -> None:
    with pytest.raises(ValueError, match="invalid blob key"):
        await store.put(key, b"x", "application/octet-stream")
    with pytest.raises(ValueError, match="invalid blob key"):
        await store.get(key)
    with pytest.raises(ValueError, match="invalid blob key"):
        await store.delete_prefix(key)
    assert not any(store.root.parent.rglob("*x*"))


async def test_put_get_stream_exists(store: LocalBlobStore) -> None:
    data = bytes(range(256)) * 1000
    await store.put("voice/acc/clone/samples/s1.wav", data, "audio/wav")
    assert await store.exists("voice/acc/clone/samples/s1.wav")
    assert not await store.exists("voice/acc/clone/samples/s2.wav")
    assert await store.get("voice/acc/clone/samples/s1.wav") == data
    chunks = [c async for c in store.stream("voice/acc/clone/samples/s1.wav", chunk_size=1000)]
    assert b"".join(chunks) == data
    assert max(map(len, chunks)) == 1000
    await store.put("voice/acc/clone/samples/s1.wav", b"new", "audio/wav")  # replaced
    assert await store.get("voice/acc/clone/samples/s1.wav") == b"new"


async def test_missing_blob(store: LocalBlobStore) -> None:
    with pytest.raises(BlobNotFoundError):
        await store.get("voice/none")
    with pytest.raises(BlobNotFoundError):
        async for _ in store.stream("voice/none"):
            pass


async def test_a_failed_write_leaves_the_old_blob_and_no_temporary_file(
    store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.put("a/b.bin", b"old", "application/octet-stream")

    def refuse(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("buena_server.kit.blobs_local.os.replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        await store.put("a/b.bin", b"new" * 1000, "application/octet-stream")
    assert await store.get("a/b.bin") == b"old"
    assert sorted(p.name for p in (store.root / "a").iterdir()) == ["b.bin"]


async def test_concurrent_writers_never_leave_a_mixed_blob(store: LocalBlobStore) -> None:
    blobs = [bytes([n]) * 200_000 for n in range(8)]
    await asyncio.gather(*(store.put("k/same", blob, "x") for blob in blobs))
    assert await store.get("k/same") in blobs
    assert [p.name for p in (store.root / "k").iterdir()] == ["same"]


async def test_delete_prefix(store: LocalBlobStore) -> None:
    for key in ("voice/a/c1/samples/s1.wav", "voice/a/c1/previews/p.mp3", "voice/a/c10/s.wav",
                "voice/a/c2/samples/s.wav"):  # fmt: skip
        await store.put(key, b"x", "x")
    (store.root / "voice/a/c1/samples/.tmp-left.wav.abc").write_bytes(b"half")
    assert await store.delete_prefix("voice/a/c1") == 2
    assert not (store.root / "voice/a/c1").exists()
    # A sibling whose name starts with the prefix is not under it.
    assert await store.exists("voice/a/c10/s.wav")
    assert await store.exists("voice/a/c2/samples/s.wav")
    assert await store.delete_prefix("voice/a/c1") == 0
    assert await store.delete_prefix("voice/a/c10/s.wav") == 1
    assert await store.delete_prefix("voice/missing/x") == 0


def test_factory_by_url(tmp_path: Path) -> None:
    local = open_blob_store(f"file://{tmp_path}/b")
    assert isinstance(local, LocalBlobStore)
    assert local.root == tmp_path / "b"
    relative = open_blob_store("file:var/blobs")
    assert isinstance(relative, LocalBlobStore)
    assert relative.root == Path("var/blobs")
    for url in ("file:", "file://host/x", "ftp://x"):
        with pytest.raises(ValueError, match="file:"):
            open_blob_store(url)
