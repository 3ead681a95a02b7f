"""``sort``, ``order`` and ``status`` are typed as Literals: mypy catches a typo, and at run
time nothing is checked that was not before (the server still names a wrong value)."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from buena_sdk.models import CreateLeadRequest, UpdateLeadRequest

TYPOS = """
from buena_sdk.api.default_api import DefaultApi
from buena_sdk.api.webhooks_api import WebhooksApi
from buena_sdk.models import CreateLeadRequest
from buena_sdk.pagination import paginate_leads


def typos(api: DefaultApi, hooks: WebhooksApi) -> None:
    api.list_leads(sort="created", order="up", status="actve")
    api.export_leads(sort="last_name", order="asc", status="contacted")
    paginate_leads(api, order="descending")
    hooks.list_webhook_deliveries("wh_1", status="sent")
    CreateLeadRequest(first_name="a", last_name="b", email="c", status="done")
"""


def test_mypy_catches_each_typo(tmp_path: Path) -> None:
    # The Python 3.9 pass installs the SDK's runtime only: the type check runs in the main pass.
    mypy = pytest.importorskip("mypy.api")
    source = tmp_path / "typos.py"
    source.write_text(TYPOS)
    config = tmp_path / "mypy.ini"
    # The pydantic plugin with typed __init__ checks model fields too.
    config.write_text("[mypy]\nstrict = True\nplugins = pydantic.mypy\n"
                      "[pydantic-mypy]\ninit_typed = True\n")  # fmt: skip
    report, _, status = mypy.run(
        ["--config-file", str(config), "--cache-dir", str(tmp_path / "cache"), str(source)]
    )
    assert status == 1
    flagged = sorted(
        (int(line.split(":")[1]), line.split('"')[1]) for line in report.splitlines()
        if "[arg-type]" in line
    )  # fmt: skip
    # Line 10 (export_leads) uses allowed values only.
    assert flagged == [
        (9, "order"), (9, "sort"), (9, "status"), (11, "order"), (12, "status"), (13, "status"),
    ], report  # fmt: skip


def test_request_fields_validate_as_before() -> None:
    # A value outside the set is still sent (the server answers 400 naming it) ...
    fields = {"first_name": "a", "last_name": "b", "email": "c", "status": "archived"}
    lead = CreateLeadRequest.model_validate(fields)
    assert lead.model_dump(exclude_unset=True)["status"] == "archived"
    assert UpdateLeadRequest(status="active").status == "active"
    # ... and a non-string is still refused locally.
    with pytest.raises(ValidationError, match="Input should be a valid string"):
        UpdateLeadRequest.model_validate({"status": 3})
