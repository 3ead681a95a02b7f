"""Decoding uploaded voice samples with PyAV (FFmpeg): WAV, MP3, M4A and FLAC.

The format is the one FFmpeg's probe finds in the bytes (the container), never the file's
name: the bytes are given without a name, so no extension can sway the probe. A file that
FFmpeg cannot open, that holds no audio stream, whose container is not one of the four, or
whose audio does not decode to at least one sample is `InvalidAudio`, naming the file; so
is a truncated file: one whose decoded audio is shorter than its header declares (FLAC's
STREAMINFO, MP3's Xing/Info frame count, WAV's data chunk size read by the standard
library's `wave`, since FFmpeg's WAV demuxer trims it to the bytes present; an M4A file cut
short loses its index and does not open).

Decoding is CPU-bound: callers on the event loop run it in a thread (``decode_in_thread``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import wave
from dataclasses import dataclass
from typing import Literal

import av
import numpy as np
import numpy.typing as npt

AudioFormat = Literal["wav", "mp3", "m4a", "flac"]
FORMATS: tuple[AudioFormat, ...] = ("wav", "mp3", "m4a", "flac")
# FFmpeg's demuxer names for the four formats (an M4A file is read by the MP4 family's
# demuxer, "mov,mp4,m4a,3gp,3g2,mj2"; its audio must then be AAC or ALAC).
_DEMUXERS: dict[str, AudioFormat] = {"wav": "wav", "mp3": "mp3", "flac": "flac"}
_MP4_DEMUXER = "mov"
_M4A_CODECS = frozenset({"aac", "alac"})
CONTENT_TYPES: dict[AudioFormat, str] = {
    "wav": "audio/wav", "mp3": "audio/mpeg", "m4a": "audio/mp4", "flac": "audio/flac",
}  # fmt: skip

Samples = npt.NDArray[np.float32]


class InvalidAudio(ValueError):
    """The file is not decodable audio in one of the four formats."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DecodedAudio:
    """A decoded file: its format, its first audio stream's rate and channels, its duration,
    and (unless not asked for) its samples, mono float32 in -1..1 at ``samples_rate`` (the
    source's rate unless another was asked for)."""

    format: AudioFormat
    sample_rate: int
    channels: int
    duration_seconds: float
    samples: Samples | None
    samples_rate: int


def _format_of(container: av.container.InputContainer, codec: str) -> AudioFormat | None:
    name = container.format.name
    if name in _DEMUXERS:
        return _DEMUXERS[name]
    if name.split(",")[0] == _MP4_DEMUXER and codec in _M4A_CODECS:
        return "m4a"
    return None


def _declared_seconds(
    data: bytes, stream: av.audio.stream.AudioStream, found: AudioFormat
) -> float | None:
    """How long the file says it is, when it says."""
    if found == "wav":
        # PCM only (the standard library's reader); other WAV codecs are not checked.
        with (
            contextlib.suppress(wave.Error, EOFError, ValueError),
            wave.open(io.BytesIO(data)) as w,
        ):
            return w.getnframes() / w.getframerate() if w.getframerate() else None
        return None
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def decode(
    data: bytes, filename: str, *, rate: int | None = None, keep_samples: bool = True
) -> DecodedAudio:
    """Decode every frame of ``data`` (so a file broken half-way is found now, not at
    analysis). ``rate`` resamples the kept samples; ``keep_samples=False`` only counts them
    (the upload's check: an hour of 48 kHz audio is 700 MB as float32)."""
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, ValueError, OSError):
        raise InvalidAudio(filename, "not a WAV, MP3, M4A or FLAC audio file") from None
    with container:
        if not container.streams.audio:
            raise InvalidAudio(filename, "the file holds no audio stream")
        stream = container.streams.audio[0]
        codec = stream.codec_context
        found = _format_of(container, codec.name)
        if found is None:
            raise InvalidAudio(
                filename, f"{container.format.long_name} is not WAV, MP3, M4A or FLAC"
            )
        source_rate = int(codec.sample_rate or stream.rate or 0)
        channels = int(codec.channels or 0)
        if source_rate <= 0 or channels <= 0:
            raise InvalidAudio(filename, "the audio stream has no sample rate or channels")
        declared = _declared_seconds(data, stream, found)
        out_rate = rate or source_rate
        resampler = av.AudioResampler(format="flt", layout="mono", rate=out_rate)
        pieces: list[Samples] = []
        source_count = 0
        kept_count = 0
        try:
            for frame in container.decode(stream):
                source_count += frame.samples
                for converted in resampler.resample(frame):
                    kept_count += converted.samples
                    if keep_samples:
                        pieces.append(converted.to_ndarray()[0].astype(np.float32, copy=False))
            for converted in resampler.resample(None):
                kept_count += converted.samples
                if keep_samples:
                    pieces.append(converted.to_ndarray()[0].astype(np.float32, copy=False))
        except (av.FFmpegError, ValueError) as exc:
            raise InvalidAudio(filename, f"the audio does not decode ({exc})") from None
    if source_count == 0:
        raise InvalidAudio(filename, "no audio could be decoded (empty or truncated file)")
    duration = source_count / source_rate
    if declared is not None and duration < declared - max(0.05, 0.01 * declared):
        raise InvalidAudio(
            filename, f"truncated: {duration:.2f} s decoded of the {declared:.2f} s it declares"
        )
    samples = np.concatenate(pieces) if keep_samples and pieces else None
    return DecodedAudio(
        format=found,
        sample_rate=source_rate,
        channels=channels,
        duration_seconds=duration,
        samples=samples,
        samples_rate=out_rate,
    )


async def decode_in_thread(
    data: bytes, filename: str, *, rate: int | None = None, keep_samples: bool = True
) -> DecodedAudio:
    """``decode`` in a worker thread, so the event loop keeps serving."""
    return await asyncio.to_thread(decode, data, filename, rate=rate, keep_samples=keep_samples)
