"""The SDK's prospect-list and lead-timeline operations against the live server: every
answer parses into its model, sync and async."""

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import buena_sdk
from buena_sdk import DefaultApi


@pytest.fixture
def api(server: Any) -> Iterator[DefaultApi]:
    configuration = buena_sdk.Configuration(host=server.host, api_key={"ApiKeyAuth": server.key})
    with buena_sdk.ApiClient(configuration) as client:
        yield DefaultApi(client)


@pytest.fixture
async def async_api(server: Any) -> AsyncIterator[DefaultApi]:
    configuration = buena_sdk.Configuration(host=server.host, api_key={"ApiKeyAuth": server.key})
    async with buena_sdk.ApiClient(configuration) as client:
        yield DefaultApi(client)


def test_upload_match_convert_and_the_timeline(api: DefaultApi) -> None:
    tag = uuid.uuid4().hex[:8]
    existing = api.create_lead(
        buena_sdk.CreateLeadRequest(first_name="Ada", last_name="L", email=f"ada-{tag}@example.com")
    )
    made = api.create_prospect_list(
        buena_sdk.CreateProspectListRequest(
            name=f"Founders {tag}",
            prospects=[
                buena_sdk.ProspectInput(email=f"ADA-{tag}@example.com"),
                buena_sdk.ProspectInput(
                    first_name="Grace", last_name="Hopper", email=f"grace-{tag}@example.com",
                    linkedin_url=f"linkedin.com/in/grace-{tag}",
                ),
            ],
        )
    )  # fmt: skip
    assert made.prospect_count == 2
    assert api.get_prospect_list(made.id).name == f"Founders {tag}"
    assert made.id in [item.id for item in api.list_prospect_lists(limit=100).data]
    prospects = api.list_prospects(made.id).data
    assert [(p.match, p.lead_id) for p in prospects] == [("lead", existing.id), ("new", None)]
    assert prospects[1].linkedin_url == f"https://www.linkedin.com/in/grace-{tag}/"
    converted = api.convert_prospect_list(made.id)
    assert [r.outcome for r in converted.results] == ["existing", "created"]
    lead_id = converted.results[1].lead_id
    assert lead_id is not None
    assert api.get_lead(lead_id).first_name == "Grace"
    # No integration: the whole list is refused.
    with pytest.raises(buena_sdk.ConflictException):
        api.schedule_prospect_list(made.id, {"action_type": "view_profile"})
    timeline = api.list_lead_activities(lead_id)
    assert (timeline.total, timeline.data) == (0, [])


async def test_async_forms(async_api: DefaultApi) -> None:
    made = await async_api.create_prospect_list_async(
        {"name": "Async", "prospects": [{"linkedin_url": "linkedin.com/in/async-one"}]}
    )
    page = await async_api.list_prospects_async(made.id, limit=1)
    assert (page.total, page.data[0].match) == (1, "new")
    with pytest.raises(buena_sdk.NotFoundException):
        await async_api.list_lead_activities_async("lead_000000000000000000000000")


def test_import_a_csv(api: DefaultApi) -> None:
    made = api.import_prospect_list(
        "CSV", "First Name,E-mail,LinkedIn URL\nAda,ada-csv@example.com,linkedin.com/in/ada-csv\n"
    )
    assert made.prospect_count == 1
    [prospect] = api.list_prospects(made.id).data
    assert (prospect.first_name, prospect.linkedin_url) == (
        "Ada",
        "https://www.linkedin.com/in/ada-csv/",
    )
    with pytest.raises(buena_sdk.UnprocessableEntityException):
        api.import_prospect_list("CSV", "email\nnot-an-email\n")
