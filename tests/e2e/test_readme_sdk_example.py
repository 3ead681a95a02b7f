"""The README's SDK example, run as written against a live server, twice in a row: the
second run must not meet the first one's lead (409 LEAD_EMAIL_EXISTS) nor its LinkedIn
connection request (409 LINKEDIN_DUPLICATE_ACTION), and its enrichment job runs on the
server's own worker to the end."""

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
HOST = 'host="http://127.0.0.1:8000/api/v2"'
KEY = '= "bna_..."'


def _example(server: Any) -> str:
    blocks = [b for b in _BLOCK.findall(README.read_text()) if "DefaultApi(api_client)" in b]
    assert len(blocks) == 1, "expected one SDK example in README.md"
    code: str = blocks[0]
    assert HOST in code
    assert KEY in code
    return code.replace(HOST, f"host={server.host!r}").replace(KEY, f"= {server.key!r}")


def test_readme_sdk_example_runs_again_and_again(
    server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = compile(_example(server), str(README), "exec")
    emails = []
    for _ in range(2):
        exec(code, {"__name__": "readme_example"})  # noqa: S102
        printed = capsys.readouterr().out.splitlines()
        assert len(printed) == 6, printed
        assert printed[0].endswith("@example.com")
        # The enrichment: its sources, confidence and the credits left.
        assert printed[1].startswith("['name', 'email', 'company'] 0.93 "), printed[1]
        # The job of the stored lead its filter selected, finished, and its one line.
        assert printed[2] == "Enriched 1 of 1 leads; 3 credits used", printed[2]
        assert printed[3] == "['enriched']"
        # The LinkedIn connection request, scheduled.
        assert printed[4] == "scheduled True"
        assert printed[5] == "404 LEAD_NOT_FOUND"
        emails.append(printed[0])
    assert emails[0] != emails[1]
    held = {lead["email"] for lead in server.all_leads()}
    assert set(emails) <= held
