"""The built-in voice engine: eSpeak NG (from the `espeakng-loader` wheel, through ctypes) with
its pitch and pace set from the clone's profile, encoded to MP3.

It matches a voice's pitch and pace, not its timbre: eSpeak NG is a formant synthesiser and
has one timbre per built-in voice. The mapping (docs/voice.md, "Synthesis"):

- rate (words per minute, 80..450; eSpeak's default 175) = speaking_rate (syllables/s)
  x 60 / 1.5 syllables per English word (`_SYLLABLES_PER_WORD`).
- voice and pitch (0..100; default 50): a median F0 under 150 Hz speaks with eSpeak's ``en``
  voice, a higher one with its ``en+f3`` variant; the pitch parameter is read off
  `_CALIBRATION`, the median F0 each voice was measured to speak at for pitch 0, 25, 50, 75
  and 100 (this build, the mean over two English paragraphs; test_voice_synthesis.py measures
  it again), interpolated on a log scale. So a pitch_median_hz from 75 to 332 Hz is met;
  beyond, the nearest end.
- range (0..100; default 50 = the voice's own intonation): scaled by the speaker's span
  (pitch_max_hz / pitch_min_hz in semitones) against `_TYPICAL_SPAN_SEMITONES`, then by the
  `stability` setting: x (1.5 - stability), so 0.5 keeps it, 1.0 halves it (steadier,
  flatter), 0.0 widens it by half.
- No profile: eSpeak's defaults for rate, pitch and range (stability still scales the range).
- clarity and use_speaker_boost: no eSpeak parameter matches them; they are part of the
  preview cache key all the same.

eSpeak NG keeps its state in globals and is not thread-safe: one synthesis at a time per
process (`_LOCK`), run in the engine's own thread so the event loop keeps serving.
Synthesis and encoding overlap: the PCM eSpeak hands its callback is encoded at once and the
MP3 bytes go to the waiting coroutine while eSpeak carries on.
"""

from __future__ import annotations

import asyncio
import ctypes
import math
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import espeakng_loader
import numpy as np

from buena_server.voice.engine import SynthesisRequest
from buena_server.voice.mp3 import BIT_RATE, LAME_QUALITY, Mp3Encoder

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_EE_OK = 0
# espeak_PARAMETER
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4

DEFAULT_RATE = 175
DEFAULT_PITCH = 50
DEFAULT_RANGE = 50
_SYLLABLES_PER_WORD = 1.5
# (voice, ((pitch parameter, median F0 in Hz), ...)): the male voice up to `_HIGH_VOICE_HZ`.
_CALIBRATION = {
    "en": ((0, 75.0), (25, 84.0), (50, 102.0), (75, 130.0), (100, 169.0)),
    "en+f3": ((0, 146.0), (25, 171.0), (50, 207.0), (75, 261.0), (100, 332.0)),
}
_HIGH_VOICE_HZ = 150.0
_TYPICAL_SPAN_SEMITONES = 12.0

# int callback(short *wav, int numsamples, espeak_EVENT *events): 0 goes on, 1 aborts.
_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)
_LOCK = threading.Lock()


class SynthesisFailed(RuntimeError):
    """eSpeak NG refused the text or could not start."""


@dataclass(frozen=True)
class Voicing:
    """eSpeak's parameters for one synthesis."""

    voice: str = "en"
    rate: int = DEFAULT_RATE
    pitch: int = DEFAULT_PITCH
    range: int = DEFAULT_RANGE


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _pitch_for(median_hz: float) -> tuple[str, int]:
    voice = "en" if median_hz < _HIGH_VOICE_HZ else "en+f3"
    points = _CALIBRATION[voice]
    pitch = np.interp(
        math.log2(median_hz), [math.log2(hz) for _, hz in points], [p for p, _ in points]
    )
    return voice, _clamp(float(pitch), 0, 100)


def voicing(profile: dict[str, Any] | None, settings: dict[str, Any]) -> Voicing:
    """eSpeak's rate, pitch and range for a clone (the mapping in the module's docstring)."""
    stability = float(settings.get("stability", 0.5))
    narrowing = 1.5 - max(0.0, min(1.0, stability))
    if not profile:
        return Voicing(range=_clamp(DEFAULT_RANGE * narrowing, 0, 100))
    voice, rate, pitch, span = "en", DEFAULT_RATE, DEFAULT_PITCH, float(DEFAULT_RANGE)
    if (syllables := profile.get("speaking_rate")) and syllables > 0:
        rate = _clamp(syllables * 60 / _SYLLABLES_PER_WORD, 80, 450)
    if (median := profile.get("pitch_median_hz")) and median > 0:
        voice, pitch = _pitch_for(float(median))
    low, high = profile.get("pitch_min_hz"), profile.get("pitch_max_hz")
    if low and high and high >= low > 0:
        semitones = 12 * math.log2(high / low)
        span = DEFAULT_RANGE * semitones / _TYPICAL_SPAN_SEMITONES
    return Voicing(voice=voice, rate=rate, pitch=pitch, range=_clamp(span * narrowing, 0, 100))


class _Library:
    """libespeak-ng, initialised once per process; every call under `_LOCK`."""

    def __init__(self) -> None:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
        lib.espeak_Info.restype = ctypes.c_char_p
        data = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if rate <= 0:
            raise SynthesisFailed(f"espeak_Initialize failed ({rate})")
        self.lib = lib
        self.sample_rate: int = rate
        self.version: str = (lib.espeak_Info(None) or b"?").decode()
        # The current synthesis's sink; the C callback must outlive every call, so it is
        # registered once and dispatches to whichever synthesis holds the lock.
        self.sink: Any = None
        self._callback = _CALLBACK(self._on_audio)
        lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav: Any, count: int, _events: Any) -> int:
        sink = self.sink
        if sink is None:
            return 1
        if count > 0 and wav:
            pcm = np.ctypeslib.as_array(wav, shape=(count,)).astype(np.int16, copy=True)
            return 0 if sink(pcm) else 1
        return 0

    def synthesize(self, text: str, voice: Voicing, sink: Any) -> None:
        """Speak `text` with `voice`, handing each PCM piece to `sink` (which returns False
        to abort). Callers hold `_LOCK`."""
        lib = self.lib
        if lib.espeak_SetVoiceByName(voice.voice.encode()) != _EE_OK:
            raise SynthesisFailed(f"eSpeak NG has no voice {voice.voice!r}")
        for parameter, value in ((_RATE, voice.rate), (_PITCH, voice.pitch),
                                 (_RANGE, voice.range), (_VOLUME, 100)):  # fmt: skip
            if lib.espeak_SetParameter(parameter, value, 0) != _EE_OK:
                raise SynthesisFailed(f"espeak_SetParameter({parameter}, {value}) failed")
        encoded = text.encode() + b"\0"
        self.sink = sink
        try:
            status = lib.espeak_Synth(
                encoded, len(encoded), 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None
            )
        finally:
            self.sink = None
        if status != _EE_OK:
            raise SynthesisFailed(f"espeak_Synth failed ({status})")


_library: _Library | None = None


def _shared_library() -> _Library:
    global _library
    with _LOCK:
        if _library is None:
            _library = _Library()
        return _library


_DONE = object()


class EspeakEngine:
    """eSpeak NG + MP3: the built-in `VoiceEngine`."""

    name = "espeak-ng"
    description = (
        "eSpeak NG, offline: matches a voice's pitch and pace (from its analysed profile), "
        "not its timbre"
    )

    def __init__(self) -> None:
        self._library = _shared_library()
        # eSpeak's version, the mapping's revision and the MP3 settings: any of them changing
        # changes the audio, so the preview cache key.
        self.version = f"{self._library.version}+map2+mp3-{BIT_RATE // 1000}k-q{LAME_QUALITY}"
        self.sample_rate = self._library.sample_rate
        # Syntheses wait their turn here, not in the event loop's default executor, where each
        # would hold a thread that other blocking work (file writes) needs while it waits for
        # `_LOCK`. Its thread is started by the first synthesis, ended by `aclose`.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="espeak")

    async def aclose(self) -> None:
        """End the synthesis thread (the app calls it at shutdown); a synthesis under way
        finishes first."""
        await asyncio.to_thread(self._thread.shutdown, wait=True)

    def synthesize_pcm(self, request: SynthesisRequest) -> np.ndarray[Any, np.dtype[np.int16]]:
        """The whole PCM (int16 mono at `sample_rate`), blocking: for tests and the bench."""
        return self.speak(request.text, voicing(request.profile, request.settings))

    def speak(self, text: str, voice: Voicing) -> np.ndarray[Any, np.dtype[np.int16]]:
        """`text` said with eSpeak's parameters `voice`, as PCM; blocking."""
        pieces: list[np.ndarray[Any, np.dtype[np.int16]]] = []

        def sink(pcm: np.ndarray[Any, np.dtype[np.int16]]) -> bool:
            pieces.append(pcm)
            return True

        with _LOCK:
            self._library.synthesize(text, voice, sink)
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)

    async def synthesize(self, request: SynthesisRequest) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        cancelled = threading.Event()
        voice = voicing(request.profile, request.settings)

        def put(item: object) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        def work() -> None:
            encoder = Mp3Encoder(self.sample_rate)
            try:

                def sink(pcm: np.ndarray[Any, np.dtype[np.int16]]) -> bool:
                    if cancelled.is_set():
                        return False
                    if out := encoder.encode(pcm):
                        put(out)
                    return True

                with _LOCK:
                    self._library.synthesize(request.text, voice, sink)
                if not cancelled.is_set() and (out := encoder.finish()):
                    put(out)
                put(_DONE)
            except BaseException as exc:  # handed to the coroutine, which raises it
                put(exc)
            finally:
                encoder.close()

        worker = loop.run_in_executor(self._thread, work)
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, bytes)
                yield item
        finally:
            cancelled.set()
            await asyncio.shield(worker)
