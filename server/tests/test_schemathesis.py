"""Fuzz the live server against its own OpenAPI document with every schemathesis check.

Schema-valid requests must be accepted (positive-data acceptance, on every operation),
invalid ones rejected with a documented status, every response must match its documented
schema, headers and content type, and nothing may answer 5xx. 100 examples per operation
(``BUENA_FUZZ_EXAMPLES``) besides the coverage and stateful phases.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from buena_server.auth.tokens import generate_key

from backends import fresh_database
from live_server import live_server

HERE = Path(__file__).parent


@pytest.mark.long
def test_openapi_contract_holds_under_fuzzing(tmp_path: Path) -> None:
    key = generate_key()
    with (
        fresh_database(str(tmp_path / "fuzz.db")) as url,
        live_server(
            url,
            tmp_path,
            {
                "BUENA_BOOTSTRAP_KEY": key,
                # The fuzzer is one client making thousands of requests: it would reach the
                # cap on active keys and the failed-authentication limit, which their own
                # tests cover (test_key_lifecycle.py, test_auth_failures.py).
                "BUENA_MAX_ACTIVE_KEYS_PER_ACCOUNT": "100000",
                "BUENA_AUTH_FAILURE_LIMIT": "off",
                # Likewise the cap on webhooks; and every one of them would get the events of
                # every lead the fuzzer writes, a delivery each, all failing (their hosts do
                # not resolve) and retried: no worker, so the fuzzed API alone is measured.
                "BUENA_MAX_WEBHOOKS_PER_ACCOUNT": "100000",
                "BUENA_WORKER_IN_SERVE": "false",
                # A webhook URL's host must not resolve to a non-public address, a rule the
                # schema can only name (the custom format `webhook-url`); its coverage phase
                # builds hosts from the pattern alone ("https://0"). The refusal has its own
                # tests (test_webhooks.py::TestRefusedAddresses).
                "BUENA_WEBHOOKS_ALLOW_PRIVATE": "true",
            },
        ) as server,
    ):
        env = {
            # The fuzzer itself is not measured (coverage.py's subprocess patch would trace it,
            # doubling this test's time); the server it calls is.
            **{
                name: value
                for name, value in os.environ.items()
                if not name.startswith("COVERAGE_")
            },
            "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
            "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        }
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(HERE / "schemathesis.toml"),
                "run",
                f"{server.base_url}/openapi.json",
                "--header",
                f"x-api-key: {key}",
                "--checks",
                "all",
                # `--checks all` overrides the config file's switches: the one check turned
                # off there (schemathesis.toml says why) is named here too.
                "--exclude-checks",
                "missing_required_header",
                "--max-examples",
                os.environ.get("BUENA_FUZZ_EXAMPLES", "100"),
                "--seed",
                os.environ.get("BUENA_FUZZ_SEED", "20261128"),
                "--no-color",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        server_log = server.output()
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    assert "Traceback" not in server_log
