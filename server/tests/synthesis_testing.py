"""Helpers for the voice tests: MP3 read back with PyAV, the pitch of speech measured, and two
small engines of the tests' own behind the seam (voice/engine.py)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import av
import numpy as np

from buena_server.voice.engine import SynthesisRequest
from buena_server.voice.mp3 import Mp3Encoder


def decode_mp3(data: bytes) -> tuple[np.ndarray, int, str]:
    """(mono float samples, sample rate, codec name) of an MP3 file."""
    with av.open(io.BytesIO(data), format="mp3") as container:
        stream = container.streams.audio[0]
        frames = [frame.to_ndarray().mean(axis=0) for frame in container.decode(stream)]
        return np.concatenate(frames), stream.rate, stream.codec_context.name


def pitch_track(samples: np.ndarray, rate: int) -> np.ndarray:
    """F0 in Hz of each voiced 40 ms frame (10 ms hop), by autocorrelation in 60..400 Hz."""
    x = samples.astype(np.float64)
    size, hop = int(rate * 0.04), int(rate * 0.01)
    loudness = np.sqrt(np.mean(x**2)) if x.size else 0.0
    found = []
    for start in range(0, len(x) - size, hop):
        window = x[start : start + size]
        if np.sqrt(np.mean(window**2)) < 0.3 * loudness:
            continue
        window = window - window.mean()
        ac = np.correlate(window, window, "full")[size - 1 :]
        low, high = int(rate / 400), int(rate / 60)
        lag = low + int(np.argmax(ac[low:high]))
        if ac[lag] > 0.5 * ac[0]:
            found.append(rate / lag)
    return np.array(found)


class ToneEngine:
    """A "neural" engine for the tests: a tone at the profile's median pitch, 60 ms per
    character, encoded to MP3 like the built-in engine's."""

    name = "tone"
    version = "1"
    description = "a tone at the voice's pitch, for the tests"
    sample_rate = 24_000

    async def synthesize(self, request: SynthesisRequest) -> AsyncIterator[bytes]:
        pitch = float((request.profile or {}).get("pitch_median_hz", 200.0))
        seconds = 0.06 * len(request.text)
        t = np.arange(int(self.sample_rate * seconds)) / self.sample_rate
        pcm = (np.sin(2 * np.pi * pitch * t) * 8000).astype(np.int16)
        encoder = Mp3Encoder(self.sample_rate)
        for start in range(0, pcm.size, 4_800):
            if out := encoder.encode(pcm[start : start + 4_800]):
                yield out
        if out := encoder.finish():
            yield out


class BrokenEngine(ToneEngine):
    """Fails after its first pieces, as an engine that crashes midway would."""

    name = "broken"

    async def synthesize(self, request: SynthesisRequest) -> AsyncIterator[bytes]:
        count = 0
        async for piece in super().synthesize(request):
            yield piece
            count += 1
            if count == 2:
                raise RuntimeError("the engine fell over")
