"""The built distributions work on their own: packaging mistakes (a module left out of the
wheel, a missing py.typed, migrations not shipped) fail here rather than for users."""

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

from backends import SQLITE_PASS_ONLY

pytestmark = SQLITE_PASS_ONLY

ROOT = Path(__file__).resolve().parents[2]


def build_wheel(project: str, outdir: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), str(ROOT / project)],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = outdir.glob("*.whl")
    return wheel


def test_sdk_wheel_in_a_fresh_virtualenv(server: Any, tmp_path: Path) -> None:
    wheel = build_wheel("sdk", tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert "buena_sdk/py.typed" in names
    assert "buena_sdk/api/default_api.py" in names
    assert "buena_sdk/cli/commands/transfer.py" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    example = textwrap.dedent(
        f"""
        import buena_sdk
        from buena_sdk.api.default_api import DefaultApi
        from buena_sdk.rest import ApiException

        configuration = buena_sdk.Configuration(host={server.host!r})
        configuration.api_key['ApiKeyAuth'] = {server.key!r}
        with buena_sdk.ApiClient(configuration) as api_client:
            api_instance = DefaultApi(api_client)
            lead = api_instance.create_lead(buena_sdk.CreateLeadRequest(
                first_name="Wheel", last_name="Test", email="wheel@example.com"))
            print(api_instance.get_lead(lead.id).email)
            try:
                api_instance.get_lead("lead_missing")
            except ApiException as e:
                print(e.status)
        print(buena_sdk.__file__)
        """
    )
    result = subprocess.run(
        [str(python), "-c", example], check=True, capture_output=True, text=True, cwd=tmp_path
    )
    email, status, location = result.stdout.split()
    assert email == "wheel@example.com"
    assert status == "404"
    # The installed wheel ran, not the source tree.
    assert str(venv) in location
    # And it installed the `buena` command, with its dependencies.
    health = subprocess.run(
        [str(venv / "bin" / "buena"), "--api-url", server.host, "health", "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert '"status": "healthy"' in health.stdout


def test_server_wheel_ships_its_migrations(tmp_path: Path) -> None:
    names = zipfile.ZipFile(build_wheel("server", tmp_path / "dist")).namelist()
    assert "buena_server/migrations/env.py" in names
    assert "buena_server/migrations/script.py.mako" in names
    assert any(n.startswith("buena_server/migrations/versions/0001_") for n in names)
