"""Load generation with wrk, pinned to its own core, and the processes it measures."""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import httpx

SERVER_CORE = "0"
LOAD_CORE = "1"


@dataclass(frozen=True)
class Load:
    rps: float
    p50_ms: float
    p99_ms: float


def ensure_wrk() -> str:
    """wrk from Debian's package; installed when missing and we may (root)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
        found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is required: apt-get install wrk")
    return found


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    assert match, text
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    headers: Mapping[str, str] | None = None,
    script: str | None = None,
) -> Load:
    command = [
        "taskset",
        "-c",
        LOAD_CORE,
        ensure_wrk(),
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "30s",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script or "")
    if script:
        command += ["-s", lua.name]
    try:
        output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(lua.name)
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"wrk saw error responses from {url}:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    return Load(rps, p50, p99)


class Probe(NamedTuple):
    """One load to measure: wrk's arguments."""

    url: str
    headers: Mapping[str, str] | None = None
    connections: int = 32
    script: str | None = None

    def run(self, seconds: float) -> Load:
        return wrk(
            self.url,
            seconds=seconds,
            connections=self.connections,
            headers=self.headers,
            script=self.script,
        )


def measure(
    url: str,
    *,
    seconds: float,
    runs: int,
    connections: int = 32,
    headers: Mapping[str, str] | None = None,
    script: str | None = None,
) -> Load:
    """Warm up, then ``runs`` runs; the median of each figure."""
    [load] = measure_interleaved(
        [Probe(url, headers, connections, script)], seconds=seconds, runs=runs
    )
    return load


def measure_interleaved(probes: Sequence[Probe], *, seconds: float, runs: int) -> list[Load]:
    """Each probe warmed up, then ``runs`` rounds of one run of each in turn; the median of
    each figure, per probe. Loads compared this way share the machine's drifts (another
    tenant's load comes and goes over seconds), so their ratio moves far less than when one
    is measured minutes after the other."""
    for probe in probes:
        probe.run(max(1.0, seconds / 3))
    loads: list[list[Load]] = [[] for _ in probes]
    for _ in range(runs):
        for probe, measured in zip(probes, loads, strict=True):
            measured.append(probe.run(seconds))
    return [
        Load(
            statistics.median(load.rps for load in measured),
            statistics.median(load.p50_ms for load in measured),
            statistics.median(load.p99_ms for load in measured),
        )
        for measured in loads
    ]


def environment(env: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without its BUENA_* settings, plus ``env``."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("BUENA_")},
        **env,
    }


@contextmanager
def pinned(core: str) -> Iterator[None]:
    """This process on ``core`` alone until the block ends."""
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(core)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, allowed)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def process(
    args: list[str],
    env: Mapping[str, str],
    ready_url: str,
    log: Path,
    *,
    program: list[str] | None = None,
    cwd: Path | None = None,
    core: str = SERVER_CORE,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``program`` (default: this Python) with ``args``, pinned to ``core`` (the server
    core), until the block ends; wait for ``ready_url``."""
    with log.open("ab") as output:
        proc = subprocess.Popen(
            ["taskset", "-c", core, *(program or [sys.executable]), *args],
            env=environment(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=cwd,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{args} exited early; see {log}")
            try:
                if httpx.get(ready_url, timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{args} did not become ready; see {log}")
            time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def in_turns(
    servers: Mapping[str, tuple[int, Probe]], seconds: float, rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each server's load run in turns (a, b, a, b, ...): requests/s and the server's CPU
    time per request (µs) of every round, by name."""
    rps: dict[str, list[float]] = {name: [] for name in servers}
    cpu: dict[str, list[float]] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, (pid, probe) in servers.items():
            before = cpu_seconds(pid)
            rate = probe.run(seconds).rps
            rps[name].append(rate)
            cpu[name].append((cpu_seconds(pid) - before) / (rate * round(seconds)) * 1e6)
        print({name: round(values[-1]) for name, values in rps.items()}, flush=True)
    return rps, cpu


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
