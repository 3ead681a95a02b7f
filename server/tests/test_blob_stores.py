"""The blob store contract (kit/blobs.py), the same tests for every store.

`STORES` names the stores under test; each has a branch in `store_url` giving a
`BUENA_STORAGE_URL` for an empty store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from buena_server.kit.blobs import BlobNotFoundError, BlobStore, open_blob_store

from backends import SQLITE_PASS_ONLY
from s3_fake import moto_endpoint, s3_url  # noqa: F401  (fixtures)

pytestmark = SQLITE_PASS_ONLY

STORES = ["local", "s3"]


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "local":
        return f"file://{tmp_path / 'blobs'}"
    if request.param == "s3":
        url: str = request.getfixturevalue("s3_url")
        return url
    raise AssertionError(f"no fixture for store {request.param!r}")


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[BlobStore]:
    opened = open_blob_store(store_url)
    yield opened
    await opened.close()


async def test_put_then_get_gives_the_bytes_back(store: BlobStore) -> None:
    await store.put("voice/acc/clone/samples/a.wav", b"RIFF\x00data", "audio/wav")
    assert await store.get("voice/acc/clone/samples/a.wav") == b"RIFF\x00data"


async def test_put_replaces_what_was_there(store: BlobStore) -> None:
    await store.put("k/one", b"first", "application/octet-stream")
    await store.put("k/one", b"second", "application/octet-stream")
    assert await store.get("k/one") == b"second"


async def test_an_empty_blob_is_a_blob(store: BlobStore) -> None:
    await store.put("k/empty", b"", "application/octet-stream")
    assert await store.exists("k/empty")
    assert await store.get("k/empty") == b""


async def test_stream_gives_the_blob_in_pieces_of_at_most_chunk_size(store: BlobStore) -> None:
    data = bytes(range(256)) * 1000  # 256,000 bytes
    await store.put("k/big", data, "audio/mpeg")
    pieces = [piece async for piece in store.stream("k/big", chunk_size=10_000)]
    assert b"".join(pieces) == data
    assert all(0 < len(piece) <= 10_000 for piece in pieces)
    assert len(pieces) >= 26


async def test_a_missing_key_is_blob_not_found(store: BlobStore) -> None:
    with pytest.raises(BlobNotFoundError):
        await store.get("k/missing")
    with pytest.raises(BlobNotFoundError):
        async for _ in store.stream("k/missing"):
            pass
    assert not await store.exists("k/missing")


async def test_exists_after_put(store: BlobStore) -> None:
    await store.put("k/there", b"x", "text/plain")
    assert await store.exists("k/there")
    assert not await store.exists("k/ther")


@pytest.mark.parametrize(
    "key", ["", "/abs", "a//b", "../up", "a/../b", "a/./b", "a b", "a/b/", "é", "a\\b"]
)
async def test_a_bad_key_is_value_error(store: BlobStore, key: str) -> None:
    with pytest.raises(ValueError, match="invalid blob key"):
        await store.put(key, b"x", "text/plain")
    with pytest.raises(ValueError, match="invalid blob key"):
        await store.get(key)
    with pytest.raises(ValueError, match="invalid blob key"):
        await store.exists(key)
    with pytest.raises(ValueError, match="invalid blob key"):
        await store.delete_prefix(key)
    with pytest.raises(ValueError, match="invalid blob key"):
        async for _ in store.stream(key):
            pass


async def test_delete_prefix_removes_the_tree_and_nothing_beside_it(store: BlobStore) -> None:
    keys = ["voice/a/c1/samples/s1.wav", "voice/a/c1/previews/p.mp3"]
    kept = ["voice/a/c10/samples/s.wav", "voice/a/c2/samples/s.wav", "voice/b/c1/x"]
    for key in keys + kept:
        await store.put(key, key.encode(), "application/octet-stream")
    assert await store.delete_prefix("voice/a/c1") == 2
    for key in keys:
        assert not await store.exists(key)
    for key in kept:
        assert await store.get(key) == key.encode()
    assert await store.delete_prefix("voice/a/c1") == 0


@pytest.mark.timeout(120)
async def test_delete_prefix_pages_past_a_thousand_keys(store: BlobStore) -> None:
    import asyncio

    keys = [f"voice/acc/clone/previews/{i:05d}.mp3" for i in range(1_234)]
    semaphore = asyncio.Semaphore(32)

    async def put(key: str) -> None:
        async with semaphore:
            await store.put(key, b"x", "audio/mpeg")

    await asyncio.gather(*(put(key) for key in keys))
    await store.put("voice/acc/other/x", b"kept", "audio/mpeg")
    assert await store.delete_prefix("voice/acc/clone") == 1_234
    assert not await store.exists(keys[0])
    assert not await store.exists(keys[-1])
    assert await store.delete_prefix("voice/acc/clone") == 0
    assert await store.get("voice/acc/other/x") == b"kept"


# The S3 store's own rules (its URL), beside the contract.


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3:///prefix", "looks like s3://bucket/prefix"),
        ("s3://bucket/p?endpoint=http://x", "unknown S3 storage URL parameters: endpoint"),
        ("s3://bucket/a/../b", "invalid blob key"),
        ("gs://bucket", "must start with file: or s3://"),
    ],
)
def test_a_bad_s3_url_is_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_blob_store(url)


async def test_prefixes_keep_two_stores_apart_in_one_bucket(request: pytest.FixtureRequest) -> None:
    url: str = request.getfixturevalue("s3_url")
    first = open_blob_store(url)
    second = open_blob_store(url.replace("/blobs?", "/other?"))
    await first.put("k/a", b"first", "text/plain")
    assert not await second.exists("k/a")
    assert await second.delete_prefix("k") == 0
    assert await first.get("k/a") == b"first"
