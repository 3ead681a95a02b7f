"""The voice preview: a ready clone speaking a text, answered as MP3 (``audio/mpeg``).

``preview_voice_clone`` comes in the same six forms as every other operation (see
``default_api``) and returns the MP3 as ``bytes``; ``preview_voice_clone_stream`` (and its
``_async`` twin) yields it as it arrives, and ``preview_voice_clone_to`` (and its
``_async`` twin) writes it to a file without holding it all, as ``export_leads`` and
``export_leads_to`` do. ``VoiceClonesApi`` and ``DefaultApi`` have all of them.
"""

from collections.abc import AsyncIterator, Iterator
from typing import Any, Union

import urllib3
from typing_extensions import Unpack

from buena_sdk._call_options import CallOptions
from buena_sdk._raw import AsyncRawResponse
from buena_sdk._request import RequestOptions
from buena_sdk.api._base import ApiBase, as_model
from buena_sdk.api._download import Destination, awrite_chunks, write_chunks
from buena_sdk.api_response import ApiResponse
from buena_sdk.models import VoicePreviewRequest

Preview = Union[VoicePreviewRequest, dict[str, Any]]

# Error answers are JSON whatever the operation answers in.
PREVIEW_ACCEPT = "audio/mpeg, application/json"


class VoicePreviewApi(ApiBase):
    """Voice previews (``voice:preview``)."""

    def preview_voice_clone(
        self, voice_preview_request: Preview, **call: Unpack[CallOptions]
    ) -> bytes:
        """The clone ``voice_id`` speaking ``text`` (1 to 500 characters), as MP3 bytes.
        ``NotFoundException`` (``VOICE_CLONE_NOT_FOUND``) for an unknown clone;
        ``ConflictException`` (``VOICE_CLONE_NOT_READY``, ``details`` with its ``status``
        and ``failure_reason``) while it is processing or once it failed. The server keeps
        each preview, so asking again for the same text and settings is quick."""
        return self.preview_voice_clone_with_http_info(voice_preview_request, **call).data

    def preview_voice_clone_with_http_info(
        self, voice_preview_request: Preview, **call: Unpack[CallOptions]
    ) -> ApiResponse[bytes]:
        """As :meth:`preview_voice_clone`; ``headers`` has the ``Content-Type``
        (``audio/mpeg``) and ``Content-Disposition`` (``filename="preview.mp3"``)."""
        options = _preview_voice_clone(voice_preview_request)
        return self.api_client.call_api(options, bytes, **call)

    async def preview_voice_clone_async(
        self, voice_preview_request: Preview, **call: Unpack[CallOptions]
    ) -> bytes:
        answer = await self.preview_voice_clone_with_http_info_async(voice_preview_request, **call)
        return answer.data

    async def preview_voice_clone_with_http_info_async(
        self, voice_preview_request: Preview, **call: Unpack[CallOptions]
    ) -> ApiResponse[bytes]:
        options = _preview_voice_clone(voice_preview_request)
        return await self.api_client.call_api_async(options, bytes, **call)

    def preview_voice_clone_without_preload_content(
        self, voice_preview_request: Preview, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        options = _preview_voice_clone(voice_preview_request)
        return self.api_client.call_api_raw(options, **call)

    async def preview_voice_clone_without_preload_content_async(
        self, voice_preview_request: Preview, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        options = _preview_voice_clone(voice_preview_request)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- streamed ---------------------------------------------------------------------------

    def preview_voice_clone_stream(
        self, voice_preview_request: Preview, **call: Unpack[CallOptions]
    ) -> Iterator[bytes]:
        """The preview's MP3 in chunks of bytes as it arrives (the server streams it while
        it is synthesised). The request is checked at once; nothing is sent before the
        iteration starts; error answers raise as elsewhere."""
        options = _preview_voice_clone(voice_preview_request)
        return self.api_client.stream(options, **call)

    def preview_voice_clone_stream_async(
        self, voice_preview_request: Preview, **call: Unpack[CallOptions]
    ) -> AsyncIterator[bytes]:
        """The async form of :meth:`preview_voice_clone_stream`, for ``async for``."""
        options = _preview_voice_clone(voice_preview_request)
        return self.api_client.stream_async(options, **call)

    def preview_voice_clone_to(
        self,
        destination: Destination,
        voice_preview_request: Preview,
        **call: Unpack[CallOptions],
    ) -> int:
        """Write the preview's MP3 to a path (e.g. ``"preview.mp3"``) or a binary file
        object as it arrives; returns the number of bytes written. A path is written whole
        or not at all (a temporary file beside it, renamed into place once complete)."""
        return write_chunks(
            destination, self.preview_voice_clone_stream(voice_preview_request, **call)
        )

    async def preview_voice_clone_to_async(
        self,
        destination: Destination,
        voice_preview_request: Preview,
        **call: Unpack[CallOptions],
    ) -> int:
        """The async form of :meth:`preview_voice_clone_to`."""
        chunks = self.preview_voice_clone_stream_async(voice_preview_request, **call)
        return await awrite_chunks(destination, chunks)


def _preview_voice_clone(body: Preview) -> RequestOptions:
    request = as_model(VoicePreviewRequest, body)
    return RequestOptions("POST", "/voice-clones/preview", body=request, accept=PREVIEW_ACCEPT)
