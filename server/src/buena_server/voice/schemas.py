"""Request and response bodies of /voice-clones (docs/voice.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from buena_server.kit.validation import NO_NUL, NOT_BLANK, TRIMMED, Context, Invalid, field, text
from buena_server.linkedin.schemas import fraction

CloneStatus = Literal["processing", "ready", "failed"]
SampleFormat = Literal["wav", "mp3", "m4a", "flac"]
MAX_LABELS = 20
LABEL_KEY_MAX = 64
LABEL_VALUE_MAX = 256


@dataclass(frozen=True, slots=True)
class LabelsRule:
    """At most ``MAX_LABELS`` labels; keys 1-64 characters (trimmed, not blank), values up
    to 256; no NUL."""

    def apply(self, value: dict[str, str], context: Context) -> dict[str, str]:
        if len(value) > MAX_LABELS:
            raise Invalid(f"must have at most {MAX_LABELS} labels")
        checked: dict[str, str] = {}
        for raw_key, label in value.items():
            key = raw_key.strip(TRIMMED)
            if not key or len(key) > LABEL_KEY_MAX or "\x00" in key:
                raise Invalid(f"keys must be 1 to {LABEL_KEY_MAX} characters, not blank")
            if len(label) > LABEL_VALUE_MAX or "\x00" in label:
                raise Invalid(f"values must be at most {LABEL_VALUE_MAX} characters, no NUL")
            checked[key] = label
        return checked


Labels = Annotated[
    dict[str, str],
    field(
        LabelsRule(),
        description=f"Labels of your own (at most {MAX_LABELS}; keys up to {LABEL_KEY_MAX} "
        f"characters, values up to {LABEL_VALUE_MAX})",
        max_properties=MAX_LABELS,
        property_names={"minLength": 1, "maxLength": LABEL_KEY_MAX, "pattern": NOT_BLANK},
        additional_properties={"type": "string", "maxLength": LABEL_VALUE_MAX, "pattern": NO_NUL},
    ),
]
Name = Annotated[str, text(100, "The clone's name", required=True)]
Description = Annotated[str, text(1000, "What the voice is")]
Stability = Annotated[float, fraction("How steady the voice stays, 0 to 1")]
Clarity = Annotated[float, fraction("How closely the voice keeps to the samples, 0 to 1")]


class VoiceCloneSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Synthesis settings (the hosted API's): each defaulted when left out."""

    stability: Stability = 0.5
    clarity: Clarity = 0.75
    use_speaker_boost: bool = True


class VoiceCloneSettingsPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Settings merged into the clone's: a field left out keeps its value."""

    stability: Stability | UnsetType = UNSET
    clarity: Clarity | UnsetType = UNSET
    use_speaker_boost: bool | UnsetType = UNSET


class CreateVoiceCloneFields(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The text fields of the multipart upload, once ``settings`` and ``labels`` (JSON
    strings in the form) are decoded."""

    name: Name
    description: Description | None = None
    settings: VoiceCloneSettings = msgspec.field(default_factory=VoiceCloneSettings)
    labels: Labels = msgspec.field(default_factory=dict)


class UpdateVoiceCloneRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Absent = unchanged; ``description`` null clears it; ``settings`` merge; ``labels``
    replace."""

    name: Name | UnsetType | None = UNSET
    description: Description | UnsetType | None = UNSET
    settings: VoiceCloneSettingsPatch | UnsetType = UNSET
    labels: Labels | UnsetType = UNSET


class VoiceSample(msgspec.Struct, kw_only=True):
    id: str
    filename: str
    format: SampleFormat
    size_bytes: int
    duration_seconds: float
    sample_rate: int
    channels: int


class VoiceProfile(msgspec.Struct, kw_only=True):
    """What the analysis measured (docs/voice.md, "The profile")."""

    duration_seconds: float
    sample_rate: int
    loudness_lufs: float
    silence_ratio: float
    pitch_median_hz: float
    pitch_min_hz: float
    pitch_max_hz: float
    speaking_rate: float


class VoiceClone(msgspec.Struct, kw_only=True):
    id: str
    name: str
    description: str | None
    status: CloneStatus
    failure_reason: str | None
    is_active: bool
    sample_count: int
    samples: list[VoiceSample]
    settings: VoiceCloneSettings
    labels: dict[str, str]
    profile: VoiceProfile | None
    created_at: datetime
    updated_at: datetime


class ListVoiceClonesResponse(msgspec.Struct, kw_only=True):
    data: list[VoiceClone]
    total: int
    limit: int
    offset: int


PREVIEW_TEXT_MAX = 500
PreviewText = Annotated[str, text(PREVIEW_TEXT_MAX, "What the voice says", required=True)]
PreviewVoiceId = Annotated[str, msgspec.Meta(description="The voice clone (voice_...)")]


class PreviewVoiceCloneRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST /voice-clones/preview: exactly one of ``voice_id`` and the hosted API's
    ``voiceId`` (400 otherwise), and the text (1-500 characters)."""

    text: PreviewText
    voice_id: PreviewVoiceId | UnsetType = UNSET
    hosted_voice_id: PreviewVoiceId | UnsetType = msgspec.field(default=UNSET, name="voiceId")

    def clone_id(self) -> str:
        """The clone named (the body was checked for exactly one of the two)."""
        chosen = self.voice_id if isinstance(self.voice_id, str) else self.hosted_voice_id
        assert isinstance(chosen, str)
        return chosen
