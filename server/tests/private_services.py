"""A PostgreSQL instance and a redis-server of a test's own, on free ports, that the test may
stop, freeze (SIGSTOP) and start again without disturbing the shared services.

When the binaries are missing the tests that need them skip, except under CI, where they
fail: CI must run the fault tests.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import redis

from live_server import free_port

REDIS_SERVER = shutil.which("redis-server")


def _postgres_bin() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb is not None:
        return Path(initdb).resolve().parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


POSTGRES_BIN = _postgres_bin()


def require(binary: object, what: str) -> None:
    """Skip the test when ``binary`` is missing, except under CI (fail there)."""
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not installed; CI must run the fault tests")
        pytest.skip(f"{what} is not installed (CI requires it)")


class RedisTls(NamedTuple):
    """PEM files for a Redis that speaks only TLS: its certificate and key, and the private
    CA that signed them (which no client trusts unless told to)."""

    ca: Path
    cert: Path
    key: Path

    @classmethod
    def issue(cls, directory: Path) -> RedisTls:
        import trustme

        authority = trustme.CA()
        issued = authority.issue_cert("127.0.0.1")
        files = cls(directory / "ca.pem", directory / "redis.pem", directory / "redis.key")
        authority.cert_pem.write_to_path(str(files.ca))
        issued.cert_chain_pems[0].write_to_path(str(files.cert))
        issued.private_key_pem.write_to_path(str(files.key))
        return files


class PrivateRedis:
    """A redis-server of the test's own; with ``tls``, it speaks only TLS (``rediss://``)."""

    def __init__(self, tls: RedisTls | None = None) -> None:
        self.port = free_port()
        self.tls = tls
        self.url = f"{'rediss' if tls else 'redis'}://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS_SERVER is not None, "redis-server must be installed"
        listen = ["--port", str(self.port)]
        if self.tls is not None:
            listen = ["--port", "0", "--tls-port", str(self.port), "--tls-auth-clients", "no"]
            listen += ["--tls-cert-file", str(self.tls.cert), "--tls-key-file", str(self.tls.key)]
            listen += ["--tls-ca-cert-file", str(self.tls.ca)]
        self.process = subprocess.Popen(
            [REDIS_SERVER, *listen, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = self.client(socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None

    def client(self, db: int = 0, **options: Any) -> redis.Redis:
        if self.tls is not None:
            options.update(ssl=True, ssl_ca_certs=str(self.tls.ca))
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, **options)

    def stored_keys(self, db: int = 0) -> list[bytes]:
        client = self.client(db)
        try:
            return list(client.keys("*"))
        finally:
            client.close()


class PrivatePostgres:
    """``initdb`` into a temporary directory, served on a free port by ``pg_ctl``.

    PostgreSQL refuses to run as root: as root, its commands run as the ``postgres`` user,
    which then owns the directory.
    """

    def __init__(self) -> None:
        assert POSTGRES_BIN is not None, "PostgreSQL's server binaries must be installed"
        self.port = free_port()
        # Not under pytest's tmp_path: as root that is private to root, and the server's
        # user must reach its directory.
        self.directory = Path(tempfile.mkdtemp(prefix="buena-private-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self._user: dict[str, Any] = {}
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.directory, account.pw_uid, account.pw_gid)
            self._user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        self.frozen: list[int] = []

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        assert POSTGRES_BIN is not None
        command = [str(POSTGRES_BIN / args[0]), *args[1:]]
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, cwd=self.directory, **self._user
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        self.resume()
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def _processes(self) -> list[int]:
        """The postmaster and every process it started (backends, background workers)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children: list[int] = []
        for stat in glob.glob("/proc/[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                # The parent pid is the second field after the parenthesised command name.
                fields = Path(stat).read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == postmaster:
                    children.append(int(Path(stat).parent.name))
        return [postmaster, *children]

    def freeze(self) -> None:
        """Hang the server: every process stopped, every connection left open."""
        self.frozen = self._processes()
        for pid in self.frozen:
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        frozen, self.frozen = self.frozen, []
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            if self.running:
                self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A started instance of our own, removed afterwards."""
    require(POSTGRES_BIN, "PostgreSQL (initdb, pg_ctl)")
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


@contextlib.contextmanager
def private_redis(tls: RedisTls | None = None) -> Iterator[PrivateRedis]:
    """A started redis-server of our own, stopped afterwards (the test may stop and start it
    meanwhile)."""
    require(REDIS_SERVER, "redis-server")
    server = PrivateRedis(tls)
    try:
        server.start()
        yield server
    finally:
        server.stop()
