"""Writing a streamed answer (an export, a voice preview) to a path or a binary file,
without holding it all in memory."""

import os
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Union

Destination = Union[str, "os.PathLike[str]", IO[bytes]]


@contextmanager
def open_destination(destination: Destination) -> Iterator[IO[bytes]]:
    """The file to write to. A path is written whole or not at all: the chunks go to a
    temporary file beside it, renamed into place once the block ends without error."""
    if not isinstance(destination, (str, os.PathLike)):
        yield destination
        return
    path = os.fspath(destination)
    partial = f"{path}.part"
    try:
        with open(partial, "wb") as file:
            yield file
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def write_chunks(destination: Destination, chunks: Iterable[bytes]) -> int:
    """``chunks`` written to ``destination``; the number of bytes written."""
    with open_destination(destination) as file:
        return sum(file.write(chunk) for chunk in chunks)


async def awrite_chunks(destination: Destination, chunks: AsyncIterator[bytes]) -> int:
    """The async form of :func:`write_chunks` (each chunk is written as it arrives)."""
    written = 0
    with open_destination(destination) as file:
        async for chunk in chunks:
            written += file.write(chunk)
    return written
