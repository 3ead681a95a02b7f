"""What every model shares: leniency for responses, strictness for requests."""

from datetime import datetime, timezone
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, model_validator
from typing_extensions import Self

from buena_sdk.models._serialization import OpenApiModelMixin


def _assume_utc(value: datetime) -> datetime:
    # The server always sends an offset; should a zone-less timestamp ever arrive it is UTC
    # by the API's convention, and callers can rely on every datetime being aware.
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


ServerDatetime = Annotated[datetime, AfterValidator(_assume_utc)]


def _local_if_naive(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.astimezone()


# A datetime the caller gives: a naive one (``datetime.now() + timedelta(days=1)``) is taken
# as local time and made aware, because the server requires an explicit offset.
RequestDatetime = Annotated[datetime, AfterValidator(_local_if_naive)]


class ResponseModel(OpenApiModelMixin):
    """Parsed from the server. Fields a newer server adds are ignored, not errors."""

    model_config = ConfigDict(extra="ignore")


class RequestModel(OpenApiModelMixin):
    """Built by the caller. An unknown keyword (a typo) fails at once, locally, with a
    ``pydantic.ValidationError`` rather than as a 400 from the server. Only the fields the
    caller set are sent, so an explicit ``None`` reaches the server as JSON null."""

    model_config = ConfigDict(extra="forbid")


class NoNullRequestModel(RequestModel):
    """A request whose fields the server never takes as null: a field given as None is left
    out, exactly as one not given (there is nothing for null to clear)."""

    @model_validator(mode="after")
    def _none_is_not_sent(self) -> Self:
        fields_set = self.model_fields_set
        fields_set.difference_update([name for name in fields_set if getattr(self, name) is None])
        return self
