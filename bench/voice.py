"""Targets 13 and 13b (issue 18): previews of a 200-character text.

- The engine alone: the built-in eSpeak NG engine (synthesis + MP3, every byte taken) called
  in this process, one text after another; p50 over the runs after a warm-up.
- Through the API: ``POST /voice-clones/preview`` for a ready clone, to the last byte,
  uncached (each run's text differs in its last characters, so each is a miss; the engine
  alone says the same texts) and cached (one text, asked again), beside ``GET /leads/{id}``
  in the same run.
- 13: the cached preview's p50 <= 10x GET /leads/{id}'s p50.
- 13b: the uncached preview's p50 <= 1.25x the engine's own for the same texts (the API's
  lookup, streaming and the write of the kept MP3 add at most 25 %).

``python -m bench.voice`` measures the engine alone; with ``--base URL --key KEY --voice-id
ID --lead-id ID`` (a running server, a ready clone and a lead of the key's account) the API
comparison too. bench/run.py calls `measure` (a server of its own on the bench's PostgreSQL
+ Redis, its blobs in a directory of the run's) and `targets`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import shutil
import statistics
import time
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

import urllib3

from bench.servers import buena_env, serve
from bench.targets import Target, ratio_target
from buena_server.voice.engine import SynthesisRequest
from buena_server.voice.espeak import EspeakEngine

TEXT = (
    "Hi Sam, thanks for your time at the fair on Tuesday. I put together the notes we spoke "
    "about and a short plan for the pilot with your team. Could we talk again next week? "
    "All the best to you, Alex Ray"
)
assert len(TEXT) == 200
RUNS = 30
QUICK_RUNS = 10  # --quick and --smoke
WARM_UP = 3
_pool = urllib3.PoolManager(maxsize=2, timeout=urllib3.Timeout(total=120))


@dataclass
class EngineFigures:
    """The engine's own time for the texts, in ms."""

    runs: int
    p50_ms: float


@dataclass
class ApiFigures:
    """p50s in ms, measured in one run: the preview uncached and cached, GET /leads/{id}."""

    runs: int
    uncached_p50_ms: float
    cached_p50_ms: float
    get_lead_p50_ms: float
    mp3_bytes: int


def texts(runs: int, tag: str = "") -> list[str]:
    """`runs` texts of 200 characters, each different in its last characters (a cache miss
    each, and the same work for the engine)."""
    made = []
    for run in range(runs):
        suffix = f" #{tag}{run}"
        made.append(TEXT[: 200 - len(suffix)] + suffix)
    return made


def _p50(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def measure_engine(runs: int = RUNS, tag: str = "") -> EngineFigures:
    """The built-in engine's p50 for `texts(runs, tag)`: synthesis and MP3, every byte taken."""
    engine = EspeakEngine()

    async def once(text: str) -> float:
        started = time.perf_counter()
        async for _ in engine.synthesize(SynthesisRequest(text=text)):
            pass
        return time.perf_counter() - started

    async def all_runs() -> list[float]:
        for text in texts(WARM_UP, "warm"):
            await once(text)
        return [await once(text) for text in texts(runs, tag)]

    return EngineFigures(runs, _p50(asyncio.run(all_runs())))


def sample_wav(seconds_at_least: float = 12.0) -> bytes:
    """A WAV sample of speech (eSpeak's own, mono 16-bit) lasting at least the given seconds,
    above the default minimum of 10 s of samples."""
    engine = EspeakEngine()
    once = engine.synthesize_pcm(SynthesisRequest(text=TEXT)).size / engine.sample_rate
    repeats = math.ceil(seconds_at_least / once)
    pcm = engine.synthesize_pcm(SynthesisRequest(text=" ".join([TEXT] * repeats)))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(engine.sample_rate)
        wav.writeframes(pcm.tobytes())
    return out.getvalue()


def create_ready_clone(base: str, key: str, *, timeout: float = 120.0) -> str:
    """A new voice clone of `key`'s account from `sample_wav()`, once its analysis is done;
    its id. (Needs the clone API's routes, docs/voice.md.)"""
    response = _pool.request(
        "POST",
        f"{base}/voice-clones",
        fields={"name": "Bench voice", "files": ("sample.wav", sample_wav(), "audio/wav")},
        headers={"x-api-key": key},
    )
    assert response.status == 201, response.data[:300]
    clone = json.loads(response.data)
    deadline = time.monotonic() + timeout
    while clone["status"] == "processing" and time.monotonic() < deadline:
        time.sleep(0.05)
        answer = _pool.request(
            "GET", f"{base}/voice-clones/{clone['id']}", headers={"x-api-key": key}
        )
        clone = json.loads(answer.data)
    assert clone["status"] == "ready", clone
    return str(clone["id"])


def _timed(
    method: str, url: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[float, bytes]:
    started = time.perf_counter()
    response = _pool.request(method, url, body=body, headers=headers, preload_content=True)
    elapsed = time.perf_counter() - started
    assert response.status == 200, (url, response.status, response.data[:300])
    return elapsed, response.data


def measure_api(
    base: str, key: str, voice_id: str, lead_id: str, runs: int = RUNS, tag: str = "api"
) -> ApiFigures:
    """The preview uncached (`texts(runs, tag)`: give the engine alone the same tag) and
    cached, and GET /leads/{lead_id}, in turns; p50 of each. `base` ends in /api/v2."""
    headers = {"x-api-key": key, "content-type": "application/json"}
    preview_url = f"{base}/voice-clones/preview"

    def preview(text: str) -> tuple[float, bytes]:
        body = json.dumps({"voice_id": voice_id, "text": text}).encode()
        elapsed, data = _timed("POST", preview_url, headers, body)
        assert data[:1] == b"\xff", data[:16]  # an MPEG audio frame, not an error page
        return elapsed, data

    for text in texts(WARM_UP, f"{tag}warm"):
        preview(text)
    _, kept = preview(TEXT)  # the cached text, kept by its first call
    uncached, cached, lead = [], [], []
    for text in texts(runs, tag):
        uncached.append(preview(text)[0])
        cached.append(preview(TEXT)[0])
        lead.append(_timed("GET", f"{base}/leads/{lead_id}", headers)[0])
    return ApiFigures(runs, _p50(uncached), _p50(cached), _p50(lead), len(kept))


@dataclass
class Figures:
    engine: EngineFigures
    api: ApiFigures


def measure(pg_url: str, key: str, lead_id: str, blobs: Path, log: Path, runs: int) -> Figures:
    """The engine alone in this process, then a server of its own (PostgreSQL + Redis, its
    worker analysing the clone, its blobs under `blobs`): a ready clone of `key`'s account,
    previewed uncached and cached beside GET /leads/{lead_id}."""
    engine = measure_engine(runs, tag="api")
    shutil.rmtree(blobs, ignore_errors=True)  # an earlier run's, of a database made again
    env = buena_env(pg_url, redis=True, BUENA_STORAGE_URL=f"file:{blobs}")
    server, base = serve(env, log)
    with server:
        voice_id = create_ready_clone(base, key)
        api = measure_api(base, key, voice_id, lead_id, runs, tag="api")
    return Figures(engine, api)


def targets(engine: EngineFigures, api: ApiFigures) -> list[Target]:
    return [
        ratio_target(
            "13. POST /voice-clones/preview of 200 characters, cached, p50 vs GET /leads/{id} p50",
            api.cached_p50_ms, api.get_lead_p50_ms, at_most=10, unit="ms",
            note=f"{api.mp3_bytes:,} bytes of MP3",
        ),
        ratio_target(
            "13b. the same preview uncached, p50 vs the engine alone (eSpeak NG + MP3) p50",
            api.uncached_p50_ms, engine.p50_ms, at_most=1.25, unit="ms",
            note="the API's lookup, streaming and the write of the kept MP3 on top of synthesis",
        ),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--base", help="a running server's base URL, ending in /api/v2")
    parser.add_argument("--key", help="an API key with voice:preview and leads:read")
    parser.add_argument("--voice-id", help="a ready voice clone of the key's account")
    parser.add_argument("--lead-id", help="a lead of the key's account")
    given = parser.parse_args()
    engine = measure_engine(given.runs, tag="api")
    print(f"[voice] engine alone (eSpeak NG + MP3), 200 characters: p50 {engine.p50_ms} ms "
          f"over {engine.runs} runs")  # fmt: skip
    if not given.base:
        return
    api = measure_api(given.base, given.key, given.voice_id, given.lead_id, given.runs)
    print(f"[voice] {json.dumps(asdict(api))}")
    for target in targets(engine, api):
        state = "met" if target.met else "NOT MET"
        print(f"[voice] {state:8} {target.name}: {target.measured} vs {target.reference}: "
              f"ratio {target.ratio} (target {target.target}) {target.note}")  # fmt: skip


if __name__ == "__main__":
    main()
