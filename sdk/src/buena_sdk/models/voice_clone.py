"""Voice clones: a voice made from uploaded samples, analysed on the server, previewed as
MP3 (``VoiceClonesApi``)."""

from typing import Optional

from buena_sdk.models._base import NoNullRequestModel, RequestModel, ResponseModel, ServerDatetime

# How many sample files one clone is made from at most (each up to 50 MB on the server).
MAX_VOICE_SAMPLES = 10
# How many characters of text one preview speaks at most.
MAX_PREVIEW_TEXT = 500


class VoiceSample(ResponseModel):
    """One uploaded sample as the server decoded it: ``format`` one of wav, mp3, m4a, flac
    (found by decoding, whatever the file's name says)."""

    id: str
    filename: str
    format: str
    size_bytes: int
    duration_seconds: float
    sample_rate: int
    channels: int


class VoiceProfile(ResponseModel):
    """What the analysis measured over the samples: total ``duration_seconds``, the first
    sample's ``sample_rate``, integrated loudness (LUFS, ITU-R BS.1770), the share of silent
    frames, the speaker's pitch (median, and 5th/95th percentiles of F0, in Hz) and speaking
    rate (syllables per second of speech)."""

    duration_seconds: float
    sample_rate: int
    loudness_lufs: float
    silence_ratio: float
    pitch_median_hz: float
    pitch_min_hz: float
    pitch_max_hz: float
    speaking_rate: float


class VoiceCloneSettings(ResponseModel):
    """How a clone speaks: ``stability`` and ``clarity`` (0 to 1), ``use_speaker_boost``."""

    stability: float
    clarity: float
    use_speaker_boost: bool


class VoiceCloneSettingsInput(NoNullRequestModel):
    """Settings to give a new clone (``create_voice_clone``) or to change
    (``update_voice_clone``, merged into the clone's): ``stability`` (default 0.5) and
    ``clarity`` (default 0.75) from 0 to 1, ``use_speaker_boost`` (default true). A field
    left out keeps its default, or its current value on update."""

    stability: Optional[float] = None
    clarity: Optional[float] = None
    use_speaker_boost: Optional[bool] = None


class VoiceClone(ResponseModel):
    """A voice clone. ``status`` is ``processing`` until the analysis ends, then ``ready``
    (``profile`` filled in) or ``failed`` (``failure_reason`` says why, e.g.
    "sample2.wav: no speech found"; ``is_active`` false)."""

    id: str
    name: str
    description: Optional[str] = None
    status: str
    failure_reason: Optional[str] = None
    is_active: bool
    sample_count: int
    samples: list[VoiceSample]
    settings: VoiceCloneSettings
    labels: dict[str, str]
    profile: Optional[VoiceProfile] = None
    created_at: ServerDatetime
    updated_at: ServerDatetime


class VoiceCloneList(ResponseModel):
    """One page of the account's voice clones, newest first; ``total`` counts every clone
    the filter selects."""

    data: list[VoiceClone]
    total: int


class VoiceCloneUpdate(RequestModel):
    """Body of ``update_voice_clone`` (a PATCH): only the fields you pass are sent.
    ``description`` passed as None clears it; ``settings`` is merged into the clone's;
    ``labels`` replaces them all (up to 20; keys up to 64 characters, values up to 256)."""

    name: Optional[str] = None
    description: Optional[str] = None
    settings: Optional[VoiceCloneSettingsInput] = None
    labels: Optional[dict[str, str]] = None


class VoicePreviewRequest(NoNullRequestModel):
    """Body of ``preview_voice_clone``: a ``ready`` clone's ``voice_id`` and 1 to
    ``MAX_PREVIEW_TEXT`` characters of ``text`` to speak."""

    voice_id: str
    text: str
