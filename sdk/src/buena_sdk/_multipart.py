"""multipart/form-data request bodies (the voice-clone upload).

An operation reads the files into ``FilePart`` s and encodes the form once, with urllib3's
encoder, into the body of its ``RequestOptions.content``: the bytes every attempt of the
call sends, over urllib3 and aiohttp alike. A retry therefore resends the whole body, byte
for byte, under the same Idempotency-Key, whatever the caller gave the files as (a path,
bytes, a tuple, or an open file read once).
"""

import mimetypes
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Union

from urllib3.fields import RequestField
from urllib3.filepost import encode_multipart_formdata

# A file to upload: a path; bytes; (filename, bytes) or (filename, bytes, content_type);
# or a file object opened in binary mode (read to its end).
FileInput = Union[
    str,
    "os.PathLike[str]",
    bytes,
    tuple[str, bytes],
    tuple[str, bytes, str],
    IO[bytes],
]

DEFAULT_CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class FilePart:
    """One file of a form: its name and content type as sent, and its bytes."""

    filename: str
    data: bytes
    content_type: str


def encode_form(
    fields: Sequence[tuple[str, str]], files: Sequence[tuple[str, FilePart]]
) -> tuple[str, bytes]:
    """(Content-Type with its boundary, body) of a form: ``fields`` (name, text), then
    ``files`` (name, part), in order. What ``RequestOptions.content`` takes."""
    parts = []
    for name, value in fields:
        field = RequestField(name, value)
        field.make_multipart()
        parts.append(field)
    for name, file in files:
        field = RequestField(name, file.data, filename=file.filename)
        field.make_multipart(content_type=file.content_type)
        parts.append(field)
    body, content_type = encode_multipart_formdata(parts)
    return content_type, body


def file_part(value: FileInput, default_name: str) -> FilePart:
    """``value`` read into a ``FilePart``; ``default_name`` names bytes given bare (and a
    file object without a name)."""
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        with open(path, "rb") as file:
            return _part(os.path.basename(path), file.read(), None)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _part(default_name, bytes(value), None)
    if isinstance(value, tuple):
        return _from_tuple(value)
    read = getattr(value, "read", None)
    if callable(read):
        data = read()
        if not isinstance(data, bytes):
            raise TypeError("a file object must be opened in binary mode ('rb')")
        name = getattr(value, "name", None)
        filename = os.path.basename(name) if isinstance(name, str) and name else default_name
        return _part(filename, data, None)
    raise TypeError(
        "a file is a path, bytes, (filename, bytes[, content_type]) or a binary file "
        f"object, got {type(value).__name__}"
    )


def file_parts(values: Sequence[FileInput], stem: str) -> tuple[FilePart, ...]:
    """Each of ``values`` read; bytes given bare are named ``<stem>1``, ``<stem>2``, ..."""
    if (
        isinstance(values, (str, bytes, bytearray, memoryview))
        or not isinstance(values, Sequence)
        or _is_file_tuple(values)
    ):
        # One file where a list was meant: taken item by item, a path would be read letter
        # by letter, and a (filename, bytes) tuple as two files.
        raise TypeError(f"files must be a list of files, got one {type(values).__name__}")
    return tuple(file_part(value, f"{stem}{index}") for index, value in enumerate(values, 1))


def _is_file_tuple(values: Sequence[object]) -> bool:
    return (
        isinstance(values, tuple)
        and len(values) in (2, 3)
        and isinstance(values[0], str)
        and isinstance(values[1], (bytes, bytearray, memoryview))
    )


def _from_tuple(value: tuple[object, ...]) -> FilePart:
    if len(value) not in (2, 3):
        raise TypeError("a file tuple is (filename, bytes) or (filename, bytes, content_type)")
    filename, data, *content_type = value
    if not isinstance(filename, str) or not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("a file tuple is (filename: str, data: bytes[, content_type: str])")
    given = content_type[0] if content_type else None
    if given is not None and not isinstance(given, str):
        raise TypeError("a file tuple's content type is a str, e.g. 'audio/wav'")
    return _part(filename, bytes(data), given)


def _part(filename: str, data: bytes, content_type: Union[str, None]) -> FilePart:
    # The server decides the format by decoding the bytes; the type sent is a courtesy.
    guessed = content_type or mimetypes.guess_type(filename)[0] or DEFAULT_CONTENT_TYPE
    return FilePart(filename, data, guessed)
