"""The voice-clone operations: list, create (a multipart upload of audio samples), get,
update and delete clones; the preview is inherited from ``VoicePreviewApi``.

Each operation comes in the same six forms as every other (see ``default_api``); all are
also methods of ``DefaultApi``.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

import urllib3
from typing_extensions import Unpack

from buena_sdk._call_options import CallOptions
from buena_sdk._codec import serialize_body
from buena_sdk._multipart import FileInput, encode_form, file_parts
from buena_sdk._raw import AsyncRawResponse
from buena_sdk._request import RequestOptions
from buena_sdk.api._base import as_model, path_param
from buena_sdk.api.voice_preview_api import VoicePreviewApi
from buena_sdk.api_response import ApiResponse
from buena_sdk.models import VoiceClone, VoiceCloneList, VoiceCloneSettingsInput, VoiceCloneUpdate
from buena_sdk.models.literals import VoiceCloneStatus

Settings = Union[VoiceCloneSettingsInput, dict[str, Any], None]
Update = Union[VoiceCloneUpdate, dict[str, Any]]

_CLONES = "/voice-clones"


class VoiceClonesApi(VoicePreviewApi):
    """Voice clones (``voice:read``, ``voice:create``, ``voice:update``, ``voice:delete``;
    the preview ``voice:preview``)."""

    # -- list_voice_clones --------------------------------------------------------------

    def list_voice_clones(
        self,
        status: Optional[VoiceCloneStatus] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> VoiceCloneList:
        """The account's voice clones, newest first (``limit`` 1 to 100, default 50),
        those with ``status`` only when it is given."""
        return self.list_voice_clones_with_http_info(status, limit, offset, **call).data

    def list_voice_clones_with_http_info(
        self,
        status: Optional[VoiceCloneStatus] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[VoiceCloneList]:
        options = _list_voice_clones(status, limit, offset)
        return self.api_client.call_api(options, VoiceCloneList, **call)

    async def list_voice_clones_async(
        self,
        status: Optional[VoiceCloneStatus] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> VoiceCloneList:
        answer = await self.list_voice_clones_with_http_info_async(status, limit, offset, **call)
        return answer.data

    async def list_voice_clones_with_http_info_async(
        self,
        status: Optional[VoiceCloneStatus] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[VoiceCloneList]:
        options = _list_voice_clones(status, limit, offset)
        return await self.api_client.call_api_async(options, VoiceCloneList, **call)

    def list_voice_clones_without_preload_content(
        self,
        status: Optional[VoiceCloneStatus] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_list_voice_clones(status, limit, offset), **call)

    async def list_voice_clones_without_preload_content_async(
        self,
        status: Optional[VoiceCloneStatus] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        options = _list_voice_clones(status, limit, offset)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- create_voice_clone -------------------------------------------------------------

    def create_voice_clone(
        self,
        name: str,
        files: Sequence[FileInput],
        description: Optional[str] = None,
        settings: Settings = None,
        labels: Optional[Mapping[str, str]] = None,
        **call: Unpack[CallOptions],
    ) -> VoiceClone:
        """Make a clone (201) from 1 to 10 audio samples, WAV, MP3, M4A or FLAC of up to
        50 MB each, at least 10 s in all. Each file is a path, bytes, a ``(filename,
        bytes)`` or ``(filename, bytes, content_type)`` tuple, or a binary file object;
        the server finds the format by decoding, never by the name. The clone answers
        ``processing``: poll ``get_voice_clone`` until it is ``ready`` (or ``failed``,
        ``failure_reason`` saying why).

        The files are read when the call is made and sent as one multipart body, kept for
        the call's retries. ``ConflictException`` (``VOICE_CLONE_LIMIT``) beyond the
        account's clones; ``ApiException`` with status 413 for a file over the size cap,
        ``UnprocessableEntityException`` (``INVALID_AUDIO``, ``SAMPLES_TOO_SHORT``)
        naming the file; nothing is stored then."""
        return self.create_voice_clone_with_http_info(
            name, files, description, settings, labels, **call
        ).data

    def create_voice_clone_with_http_info(
        self,
        name: str,
        files: Sequence[FileInput],
        description: Optional[str] = None,
        settings: Settings = None,
        labels: Optional[Mapping[str, str]] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[VoiceClone]:
        """As :meth:`create_voice_clone`; the answer's ``Location`` header is the clone's
        URL."""
        options = _create_voice_clone(name, files, description, settings, labels)
        return self.api_client.call_api(options, VoiceClone, **call)

    async def create_voice_clone_async(
        self,
        name: str,
        files: Sequence[FileInput],
        description: Optional[str] = None,
        settings: Settings = None,
        labels: Optional[Mapping[str, str]] = None,
        **call: Unpack[CallOptions],
    ) -> VoiceClone:
        answer = await self.create_voice_clone_with_http_info_async(
            name, files, description, settings, labels, **call
        )
        return answer.data

    async def create_voice_clone_with_http_info_async(
        self,
        name: str,
        files: Sequence[FileInput],
        description: Optional[str] = None,
        settings: Settings = None,
        labels: Optional[Mapping[str, str]] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[VoiceClone]:
        options = await _create_voice_clone_off_loop(name, files, description, settings, labels)
        return await self.api_client.call_api_async(options, VoiceClone, **call)

    def create_voice_clone_without_preload_content(
        self,
        name: str,
        files: Sequence[FileInput],
        description: Optional[str] = None,
        settings: Settings = None,
        labels: Optional[Mapping[str, str]] = None,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        options = _create_voice_clone(name, files, description, settings, labels)
        return self.api_client.call_api_raw(options, **call)

    async def create_voice_clone_without_preload_content_async(
        self,
        name: str,
        files: Sequence[FileInput],
        description: Optional[str] = None,
        settings: Settings = None,
        labels: Optional[Mapping[str, str]] = None,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        options = await _create_voice_clone_off_loop(name, files, description, settings, labels)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- get_voice_clone ----------------------------------------------------------------

    def get_voice_clone(self, voice_clone_id: str, **call: Unpack[CallOptions]) -> VoiceClone:
        """One clone by id; ``NotFoundException`` (``VOICE_CLONE_NOT_FOUND``) if it is not
        the account's."""
        return self.get_voice_clone_with_http_info(voice_clone_id, **call).data

    def get_voice_clone_with_http_info(
        self, voice_clone_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[VoiceClone]:
        return self.api_client.call_api(_clone("GET", voice_clone_id), VoiceClone, **call)

    async def get_voice_clone_async(
        self, voice_clone_id: str, **call: Unpack[CallOptions]
    ) -> VoiceClone:
        return (await self.get_voice_clone_with_http_info_async(voice_clone_id, **call)).data

    async def get_voice_clone_with_http_info_async(
        self, voice_clone_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[VoiceClone]:
        options = _clone("GET", voice_clone_id)
        return await self.api_client.call_api_async(options, VoiceClone, **call)

    def get_voice_clone_without_preload_content(
        self, voice_clone_id: str, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_clone("GET", voice_clone_id), **call)

    async def get_voice_clone_without_preload_content_async(
        self, voice_clone_id: str, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_clone("GET", voice_clone_id), **call)

    # -- update_voice_clone -------------------------------------------------------------

    def update_voice_clone(
        self, voice_clone_id: str, voice_clone_update: Update, **call: Unpack[CallOptions]
    ) -> VoiceClone:
        """Change a clone's name, description, settings (merged) or labels (replaced); a
        field not passed stays as it is."""
        answer = self.update_voice_clone_with_http_info(voice_clone_id, voice_clone_update, **call)
        return answer.data

    def update_voice_clone_with_http_info(
        self, voice_clone_id: str, voice_clone_update: Update, **call: Unpack[CallOptions]
    ) -> ApiResponse[VoiceClone]:
        options = _update_voice_clone(voice_clone_id, voice_clone_update)
        return self.api_client.call_api(options, VoiceClone, **call)

    async def update_voice_clone_async(
        self, voice_clone_id: str, voice_clone_update: Update, **call: Unpack[CallOptions]
    ) -> VoiceClone:
        answer = await self.update_voice_clone_with_http_info_async(
            voice_clone_id, voice_clone_update, **call
        )
        return answer.data

    async def update_voice_clone_with_http_info_async(
        self, voice_clone_id: str, voice_clone_update: Update, **call: Unpack[CallOptions]
    ) -> ApiResponse[VoiceClone]:
        options = _update_voice_clone(voice_clone_id, voice_clone_update)
        return await self.api_client.call_api_async(options, VoiceClone, **call)

    def update_voice_clone_without_preload_content(
        self, voice_clone_id: str, voice_clone_update: Update, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        options = _update_voice_clone(voice_clone_id, voice_clone_update)
        return self.api_client.call_api_raw(options, **call)

    async def update_voice_clone_without_preload_content_async(
        self, voice_clone_id: str, voice_clone_update: Update, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        options = _update_voice_clone(voice_clone_id, voice_clone_update)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- delete_voice_clone -------------------------------------------------------------

    def delete_voice_clone(self, voice_clone_id: str, **call: Unpack[CallOptions]) -> None:
        """Delete a clone with its samples and previews (204). ``ConflictException``
        (``VOICE_CLONE_IN_USE``, ``details["actions"]`` the pending LinkedIn voice
        messages that use it) while one does."""
        self.delete_voice_clone_with_http_info(voice_clone_id, **call)

    def delete_voice_clone_with_http_info(
        self, voice_clone_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[None]:
        return self.api_client.call_api(_clone("DELETE", voice_clone_id), type(None), **call)

    async def delete_voice_clone_async(
        self, voice_clone_id: str, **call: Unpack[CallOptions]
    ) -> None:
        await self.delete_voice_clone_with_http_info_async(voice_clone_id, **call)

    async def delete_voice_clone_with_http_info_async(
        self, voice_clone_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[None]:
        options = _clone("DELETE", voice_clone_id)
        return await self.api_client.call_api_async(options, type(None), **call)

    def delete_voice_clone_without_preload_content(
        self, voice_clone_id: str, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_clone("DELETE", voice_clone_id), **call)

    async def delete_voice_clone_without_preload_content_async(
        self, voice_clone_id: str, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_clone("DELETE", voice_clone_id), **call)


# -- request descriptions, shared by the sync and async forms --------------------------


def _list_voice_clones(
    status: Optional[str], limit: Optional[int], offset: Optional[int]
) -> RequestOptions:
    query = {"status": status, "limit": limit, "offset": offset}
    return RequestOptions("GET", _CLONES, query=query)


def _create_voice_clone(
    name: str,
    files: Sequence[FileInput],
    description: Optional[str],
    settings: Settings,
    labels: Optional[Mapping[str, str]],
) -> RequestOptions:
    fields = [("name", name)]
    if description is not None:
        fields.append(("description", description))
    if settings is not None:
        # A form field holding the settings object as JSON, checked here as any body is.
        chosen = as_model(VoiceCloneSettingsInput, settings)
        fields.append(("settings", serialize_body(chosen).decode("utf-8")))
    if labels is not None:
        fields.append(("labels", json.dumps(dict(labels), separators=(",", ":"))))
    parts = [("files", part) for part in file_parts(files, "sample")]
    return RequestOptions("POST", _CLONES, content=encode_form(fields, parts))


async def _create_voice_clone_off_loop(
    name: str,
    files: Sequence[FileInput],
    description: Optional[str],
    settings: Settings,
    labels: Optional[Mapping[str, str]],
) -> RequestOptions:
    """:func:`_create_voice_clone` in a worker thread: reading and encoding the files (up
    to 500 MB) must not stall the event loop."""
    # Imported here: a sync-only program never loads asyncio.
    import asyncio

    return await asyncio.to_thread(_create_voice_clone, name, files, description, settings, labels)


def _clone(method: str, voice_clone_id: str) -> RequestOptions:
    return RequestOptions(method, f"{_CLONES}/{path_param('voice_clone_id', voice_clone_id)}")


def _update_voice_clone(voice_clone_id: str, body: Update) -> RequestOptions:
    options = _clone("PATCH", voice_clone_id)
    return RequestOptions(options.method, options.path, body=as_model(VoiceCloneUpdate, body))
