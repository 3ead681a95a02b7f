"""What every model shares: leniency for responses, strictness for requests."""

from datetime import datetime, timezone
from typing import Annotated

from pydantic import AfterValidator, ConfigDict

from buena_sdk.models._serialization import OpenApiModelMixin


def _assume_utc(value: datetime) -> datetime:
    # The server always sends an offset; should a zone-less timestamp ever arrive it is UTC
    # by the API's convention, and callers can rely on every datetime being aware.
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


ServerDatetime = Annotated[datetime, AfterValidator(_assume_utc)]


class ResponseModel(OpenApiModelMixin):
    """Parsed from the server. Fields a newer server adds are ignored, not errors."""

    model_config = ConfigDict(extra="ignore")


class RequestModel(OpenApiModelMixin):
    """Built by the caller. An unknown keyword (a typo) fails at once, locally, with a
    ``pydantic.ValidationError`` rather than as a 400 from the server. Only the fields the
    caller set are sent, so an explicit ``None`` reaches the server as JSON null."""

    model_config = ConfigDict(extra="forbid")
