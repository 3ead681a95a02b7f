"""HTTP endpoints of /voice-clones: parse, authorise, call the service."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Litestar, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Encoding,
    Example,
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Reference,
    RequestBody,
    Schema,
)
from litestar.params import Body, Parameter
from litestar.response import Stream

from buena_server.auth.guards import requires
from buena_server.auth.permissions import Permission
from buena_server.config import Settings
from buena_server.errors import InvalidRequest, UnsupportedMediaType
from buena_server.idempotency.model import NO_KEPT_ANSWERS
from buena_server.kit.dependencies import AuthenticatedRequest, validation_context
from buena_server.kit.driver import Connection
from buena_server.kit.http_hooks import check_api_request, check_query, media_type_of
from buena_server.kit.openapi_docs import (
    BASE_PATH,
    answer,
    error_responses,
    example,
    location_header,
    query_schema,
)
from buena_server.kit.paging import Limit, Offset, choice_errors, page, page_errors
from buena_server.kit.validation import NO_NUL, NOT_BLANK, raise_invalid, validate
from buena_server.linkedin.controller import raw_object, strict_errors
from buena_server.services import services_of
from buena_server.voice import examples
from buena_server.voice.mp3 import CONTENT_TYPE
from buena_server.voice.preview import PreviewClone, preview
from buena_server.voice.schemas import (
    LABEL_KEY_MAX,
    LABEL_VALUE_MAX,
    MAX_LABELS,
    ListVoiceClonesResponse,
    PreviewVoiceCloneRequest,
    UpdateVoiceCloneRequest,
    VoiceClone,
)
from buena_server.voice.service import VoiceCloneService
from buena_server.voice.upload import (
    UploadLimits,
    create_clone,
    form_fields,
    upload_body_cap,
)

CLONES_PATH = f"{BASE_PATH}/voice-clones"
PREVIEW_PATH = f"{CLONES_PATH}/preview"
# Says whether a preview came from the cache (hit) or was synthesised for this request (miss).
PREVIEW_CACHE_HEADER = "x-preview-cache"
STATUSES = ("processing", "ready", "failed")
CloneId = Annotated[str, Parameter(description="Voice clone identifier (voice_...)")]
_CLONE = answer(VoiceClone, "The voice clone", "Ready", examples.CLONE)


def provide_voice_service(conn: NamedDependency[Connection], state: State) -> VoiceCloneService:
    services = services_of(state)
    return VoiceCloneService(conn, services.blobs, validation_context(services.settings))


async def check_upload_request(request: Request[Any, Any, Any]) -> None:
    """415 for a body that is not multipart/form-data (before it is read)."""
    await check_query(request)
    media_type = media_type_of(request.headers.get("content-type", ""))
    if media_type != "multipart/form-data":
        raise UnsupportedMediaType(
            "Send the clone as multipart/form-data (fields name, files...)",
            details={"content_type": media_type or None},
        )


async def check_update_body(request: Request[Any, Any, Any]) -> None:
    """400 for a value of the wrong JSON type, where Litestar's lax decoding converts."""
    await check_api_request(request)
    raw = await raw_object(request)
    if raw is not None:
        strict_errors(raw, UpdateVoiceCloneRequest)


async def check_preview_body(request: Request[Any, Any, Any]) -> None:
    """400 for a value of the wrong JSON type, and unless exactly one of ``voice_id`` and
    the hosted API's ``voiceId`` is given."""
    await check_api_request(request)
    raw = await raw_object(request)
    if raw is None:
        return
    strict_errors(raw, PreviewVoiceCloneRequest)
    named = [name for name in ("voice_id", "voiceId") if name in raw]
    if len(named) != 1:
        message = (
            "Give voice_id or voiceId, not both"
            if named
            else "Object missing required field `voice_id` (or the hosted API's `voiceId`)"
        )
        errors = [{"field": "voice_id", "message": message}]
        raise InvalidRequest(message, details={"errors": errors})


def voice_upload_controller(settings: Settings) -> type[Controller]:
    """POST /voice-clones with a body cap of its own (every file at its cap: the app's
    BUENA_MAX_BODY_BYTES is for JSON), built with the app's settings."""

    class VoiceCloneUploadController(Controller):
        path = "/voice-clones"
        tags = ["Voice Cloning"]
        request_max_body_size = upload_body_cap(settings)

        @post(
            operation_id="create_voice_clone",
            summary="Create a voice clone from audio samples",
            guards=[requires(Permission.VOICE_CREATE)],
            description="Requires `voice:create`. A multipart/form-data upload: `name` "
            "(1-100 characters), `description` (optional), 1 to "
            f"{settings.voice_max_files} `files` (each at most "
            f"{settings.voice_max_file_bytes} bytes; WAV, MP3, M4A or FLAC, told by "
            "decoding them, never by their names), `settings` and `labels` (optional, each "
            "a JSON object as a string). Checked before anything is stored: 413 naming a "
            "file over the size cap, 422 `INVALID_AUDIO` naming a file that is not such "
            "audio, 422 `SAMPLES_TOO_SHORT` under "
            f"{settings.voice_min_sample_seconds:g} s in all, 409 `VOICE_CLONE_LIMIT` at "
            f"{settings.voice_clone_limit} clones. Answers 201 with the clone `processing`; "
            "its analysis runs on the queue (`voice_clone.ready` or `voice_clone.failed`).",
            status_code=201,
            before_request=check_upload_request,
            responses={
                201: answer(VoiceClone, "The clone, processing", "Processing", examples.CREATED),
                **error_responses(403, 409, 422, body=True),
            },
            response_headers=[location_header(CLONES_PATH, "voice clone")],
        )
        async def create_voice_clone(self, request: AuthenticatedRequest) -> Response[VoiceClone]:
            services = services_of(request.app)
            fields, files = form_fields(await request.form())
            made = await create_clone(
                services.database, services.blobs, validation_context(services.settings),
                UploadLimits.of(services.settings), request.user.account_id, fields, files,
            )  # fmt: skip
            return Response(made, status_code=201, headers={"location": f"{CLONES_PATH}/{made.id}"})

    return VoiceCloneUploadController


_FRACTION = Schema(type=OpenAPIType.NUMBER, minimum=0, maximum=1)


def document_voice_upload(app: Litestar) -> None:
    """The multipart body of POST /voice-clones (read by the handler itself). ``settings``
    and ``labels`` are objects: sent as JSON text parts (OpenAPI's default encoding of an
    object in multipart/form-data, written out in ``encoding``)."""
    settings = services_of(app).settings
    operation = (app.openapi_schema.paths or {})[CLONES_PATH].post
    assert operation is not None
    form = Schema(
        type=OpenAPIType.OBJECT,
        required=["name", "files"],
        additional_properties=False,
        properties={
            "name": Schema(
                type=OpenAPIType.STRING, min_length=1, max_length=100, pattern=NOT_BLANK,
                description="The clone's name",
            ),
            "description": Schema(
                type=OpenAPIType.STRING, max_length=1000, pattern=NO_NUL,
                description="What the voice is",
            ),
            "files": Schema(
                type=OpenAPIType.ARRAY, min_items=1, max_items=settings.voice_max_files,
                items=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY),
                description="The audio samples: WAV, MP3, M4A or FLAC, each at most "
                f"{settings.voice_max_file_bytes} bytes",
            ),
            "settings": Schema(
                type=OpenAPIType.OBJECT, additional_properties=False,
                properties={"stability": _FRACTION, "clarity": _FRACTION,
                            "use_speaker_boost": Schema(type=OpenAPIType.BOOLEAN)},
                description="Synthesis settings (stability 0.5, clarity 0.75, "
                "use_speaker_boost true when left out), as a JSON part",
            ),
            "labels": Schema(
                type=OpenAPIType.OBJECT, max_properties=MAX_LABELS,
                property_names=Schema(
                    type=OpenAPIType.STRING, min_length=1, max_length=LABEL_KEY_MAX,
                    pattern=NOT_BLANK,
                ),
                additional_properties=Schema(
                    type=OpenAPIType.STRING, max_length=LABEL_VALUE_MAX, pattern=NO_NUL
                ),
                description="Labels of your own, as a JSON part",
            ),
        },
    )  # fmt: skip
    operation.request_body = RequestBody(
        required=True,
        description="The clone's fields and its audio samples",
        content={
            "multipart/form-data": OpenAPIMediaType(
                schema=form,
                examples={"Two samples": Example(value=examples.CREATE_FORM)},
                encoding={
                    "files": Encoding(content_type="audio/wav, audio/mpeg, audio/mp4, audio/flac"),
                    "settings": Encoding(content_type="application/json"),
                    "labels": Encoding(content_type="application/json"),
                },
            )
        },
    )


class VoiceCloneController(Controller):
    path = "/voice-clones"
    tags = ["Voice Cloning"]
    dependencies = {"service": Provide(provide_voice_service, sync_to_thread=False)}

    @get(
        operation_id="list_voice_clones",
        summary="List voice clones",
        guards=[requires(Permission.VOICE_READ)],
        description="Requires `voice:read`. Newest first; `status` filters.",
        responses={
            200: answer(ListVoiceClonesResponse, "A page of clones", "One clone", examples.PAGE),
            **error_responses(403, 422),
        },
    )
    async def list_voice_clones(
        self,
        service: NamedDependency[VoiceCloneService],
        request: AuthenticatedRequest,
        limit: Limit = None,
        offset: Offset = None,
        status: Annotated[
            str | None,
            Parameter(
                description="Only clones with this status",
                schema_extra=query_schema(OpenAPIType.STRING, enum=list(STATUSES)),
            ),
        ] = None,
    ) -> ListVoiceClonesResponse:
        errors = page_errors(limit, offset) + choice_errors("status", status, STATUSES)
        if errors:
            raise_invalid(errors)
        return await service.list(request.user.account_id, status, page(limit, offset))

    @get(
        "/{voice_id:str}",
        operation_id="get_voice_clone",
        summary="Get a voice clone",
        guards=[requires(Permission.VOICE_READ)],
        description="Requires `voice:read`. With its samples and, once analysed, its profile.",
        responses={200: _CLONE, **error_responses(403, 404)},
    )
    async def get_voice_clone(
        self, service: NamedDependency[VoiceCloneService], request: AuthenticatedRequest,
        voice_id: CloneId,
    ) -> VoiceClone:  # fmt: skip
        return await service.get(request.user.account_id, voice_id)

    @patch(
        "/{voice_id:str}",
        operation_id="update_voice_clone",
        summary="Update a voice clone",
        guards=[requires(Permission.VOICE_UPDATE)],
        description="Requires `voice:update`. Absent fields are unchanged, `description` "
        "null clears it, `settings` merge field by field, `labels` replace the labels.",
        before_request=check_update_body,
        responses={200: _CLONE, **error_responses(403, 404, 422, body=True)},
    )
    async def update_voice_clone(
        self,
        service: NamedDependency[VoiceCloneService],
        request: AuthenticatedRequest,
        voice_id: CloneId,
        data: Annotated[
            UpdateVoiceCloneRequest,
            Body(examples=example("Rename, calmer", examples.UPDATE_REQUEST)),
        ],
    ) -> VoiceClone:
        return await service.update(request.user.account_id, voice_id, data)

    @delete(
        "/{voice_id:str}",
        operation_id="delete_voice_clone",
        summary="Delete a voice clone",
        guards=[requires(Permission.VOICE_DELETE)],
        description="Requires `voice:delete`. Permanent, with its samples and previews. 409 "
        "`VOICE_CLONE_IN_USE` while pending LinkedIn voice messages use it (`details."
        "actions`: their ids).",
        status_code=204,
        responses=error_responses(403, 404, 409),
    )
    async def delete_voice_clone(
        self, service: NamedDependency[VoiceCloneService], request: AuthenticatedRequest,
        voice_id: CloneId,
    ) -> None:  # fmt: skip
        await service.delete(request.user.account_id, voice_id)

    @post(
        "/preview",
        operation_id="preview_voice_clone",
        summary="Preview a voice clone saying a text",
        guards=[requires(Permission.VOICE_PREVIEW)],
        description="Requires `voice:preview`. The clone (`voice_id`, or the hosted API's "
        "`voiceId`: exactly one, else 400) says `text` (1-500 characters): 200 with the MP3 "
        '(`audio/mpeg`, `Content-Disposition: attachment; filename="preview.mp3"`), streamed '
        "as it is synthesised. Previews are cached by clone, text, settings, profile and "
        "engine: `X-Preview-Cache` says `hit` (with `Content-Length`) or `miss`; changing the "
        "clone's settings makes new ones. 409 `VOICE_CLONE_NOT_READY` while the clone is "
        "processing or when it failed (`details.status`, `details.failure_reason`).",
        status_code=200,
        before_request=check_preview_body,
        opt=NO_KEPT_ANSWERS,
        responses={
            200: ResponseSpec(
                data_container=bytes,
                description="The preview, MP3",
                media_type=CONTENT_TYPE,
                generate_examples=False,
            ),
            **error_responses(403, 404, 409, 422, body=True),
        },
    )
    async def preview_voice_clone(
        self,
        request: AuthenticatedRequest,
        data: Annotated[
            PreviewVoiceCloneRequest,
            Body(
                examples=[
                    Example(summary="A clone saying a sentence", value=examples.PREVIEW_REQUEST),
                    Example(summary="The hosted voiceId", value=examples.PREVIEW_REQUEST_HOSTED),
                ]
            ),
        ],
    ) -> Stream:
        services = services_of(request.app)
        data = validate(data, validation_context(services.settings))
        # A short read: no connection is held while the preview is synthesised and sent.
        async with services.database.transaction(write=False) as conn:
            record = await VoiceCloneService(
                conn, services.blobs, validation_context(services.settings)
            ).find(request.user.account_id, data.clone_id())
        clone = PreviewClone(
            id=record.id, account_id=record.account_id, status=record.status,
            settings=record.settings, profile=record.profile, updated_at=record.updated_at,
            failure_reason=record.failure_reason,
        )  # fmt: skip
        audio = await preview(services.blobs, services.voice_engine, clone, data.text)
        headers = {
            "content-disposition": 'attachment; filename="preview.mp3"',
            PREVIEW_CACHE_HEADER: "hit" if audio.cached else "miss",
        }
        if audio.content_length is not None:
            headers["content-length"] = str(audio.content_length)
        return Stream(audio.chunks, media_type=CONTENT_TYPE, headers=headers)


def document_voice_preview(app: Litestar) -> None:
    """POST /voice-clones/preview: its answer is MP3 bytes (with the headers it sends), and
    its body names the clone by exactly one of ``voice_id`` and ``voiceId``, which the
    struct (two optional fields) cannot say."""
    operation = (app.openapi_schema.paths or {})[PREVIEW_PATH].post
    assert operation is not None
    assert operation.responses is not None
    ok = operation.responses["200"]
    assert isinstance(ok, OpenAPIResponse)
    ok.content = {
        CONTENT_TYPE: OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY),
            examples={"MP3": Example(summary="MP3 audio", value="(preview.mp3: binary)")},
        )
    }
    ok.headers = {
        "Content-Disposition": OpenAPIHeader(
            schema=Schema(type=OpenAPIType.STRING),
            description='`attachment; filename="preview.mp3"`',
        ),
        "X-Preview-Cache": OpenAPIHeader(
            schema=Schema(type=OpenAPIType.STRING, enum=["hit", "miss"]),
            description="`hit`: the cached preview (with Content-Length); `miss`: "
            "synthesised for this request, streamed as it is encoded",
        ),
    }
    body = operation.request_body
    assert isinstance(body, RequestBody)
    for media in body.content.values():
        schema = media.schema
        if isinstance(schema, Reference):
            schema = app.openapi_schema.components.schemas[schema.ref.rsplit("/", 1)[-1]]
        assert isinstance(schema, Schema)
        schema.one_of = [Schema(required=["voice_id"]), Schema(required=["voiceId"])]
