"""Every code example of the SDK reference, run against a live server.

Each example is copied from the reference, re-indented into a test, and otherwise unchanged
except for the host, the API key and the example lead id ("lead_123456789" becomes a lead
created beforehand). Examples that continue the "Installation & Setup" snippet run inside it,
as the reference intends. Each test then checks what the example printed and what the
server holds afterwards.
"""
# The reference's code is kept as written, including what these rules would change:
# ruff: noqa: E501, I001, RET503, UP028

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import buena_sdk
from buena_sdk.api.default_api import DefaultApi
from buena_sdk.rest import ApiException


def _lines(capsys: pytest.CaptureFixture[str]) -> "list[str]":
    return capsys.readouterr().out.splitlines()


# -- Installation & Setup -----------------------------------------------------------------


def test_installation_and_setup(server: Any) -> None:
    # fmt: off
    # Configure the client
    configuration = buena_sdk.Configuration(
        host=server.host
    )
    configuration.api_key['ApiKeyAuth'] = server.key
    # Create API client
    with buena_sdk.ApiClient(configuration) as api_client:
        api_instance = DefaultApi(api_client)
    # fmt: on
        assert isinstance(api_instance, DefaultApi)
        assert api_instance.health_check().status == "healthy"
        assert api_instance.list_leads().total == 0  # the key was accepted


# -- list_leads ---------------------------------------------------------------------------


def test_list_leads_example(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    server.create_lead(
        first_name="John", last_name="Doe", email="john.doe@example.com", company="Example Corp"
    )
    server.create_lead(
        first_name="Johnny", last_name="Walker", email="jw@example.org", company="Other Inc"
    )
    server.create_lead(first_name="Ada", last_name="Lovelace", email="ada@example.net")

    # fmt: off
    configuration = buena_sdk.Configuration(
        host=server.host
    )
    configuration.api_key['ApiKeyAuth'] = server.key
    with buena_sdk.ApiClient(configuration) as api_client:
        api_instance = DefaultApi(api_client)

        try:
            # List first 25 leads, sorted by creation date
            response = api_instance.list_leads(
                limit=25,
                sort='created_at',
                order='desc'
            )
            print(f"Found {response.total} leads")
            for lead in response.data:
                print(f"{lead.first_name} {lead.last_name} - {lead.email}")
                if lead.company:
                    print(f" Company: {lead.company}")
            # Search for leads
            search_results = api_instance.list_leads(
                search="john",
                company="example"
            )
            print(f"Search found {len(search_results.data)} leads")
        except ApiException as e:
            print(f"Exception when calling list_leads: {e}")
    # fmt: on

    assert _lines(capsys) == [
        "Found 3 leads",
        "Ada Lovelace - ada@example.net",
        "Johnny Walker - jw@example.org",
        " Company: Other Inc",
        "John Doe - john.doe@example.com",
        " Company: Example Corp",
        "Search found 1 leads",
    ]
    assert len(server.all_leads()) == 3  # listing changed nothing


# -- create_lead --------------------------------------------------------------------------


def _run_create_lead_example(server: Any) -> None:
    # fmt: off
    configuration = buena_sdk.Configuration(
        host=server.host
    )
    configuration.api_key['ApiKeyAuth'] = server.key
    with buena_sdk.ApiClient(configuration) as api_client:
        api_instance = DefaultApi(api_client)

        try:
            # Create a new lead
            lead_request = buena_sdk.CreateLeadRequest(
                first_name="John",
                last_name="Doe",
                email="john.doe@example.com",
                company="Example Corp",
                phone="+1-555-123-4567",
                linkedin_url="https://linkedin.com/in/johndoe",
                job_title="Software Engineer",
                location="San Francisco, CA",
                notes="Met at tech conference 2024",
                tags=["conference", "engineer", "potential"],
                custom_fields={
                    "lead_source": "conference",
                    "priority": "high",
                    "budget": 50000
                }
            )
            new_lead = api_instance.create_lead(lead_request)
            print(f"Created lead with ID: {new_lead.id}")
            print(f"Name: {new_lead.first_name} {new_lead.last_name}")
            print(f"Created at: {new_lead.created_at}")
        except ApiException as e:
            print(f"Exception when creating lead: {e}")
            if e.status == 400:
                print("Check required fields: first_name, last_name, email")
            elif e.status == 409:
                print("Lead with this email already exists")
    # fmt: on


def test_create_lead_example(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _run_create_lead_example(server)

    out = _lines(capsys)
    assert len(out) == 3
    created = re.fullmatch(r"Created lead with ID: (lead_\w+)", out[0])
    assert created is not None
    lead_id = created.group(1)
    assert out[1] == "Name: John Doe"
    created_at = datetime.fromisoformat(out[2].removeprefix("Created at: "))
    assert created_at.tzinfo is not None
    assert abs(datetime.now(UTC) - created_at) < timedelta(minutes=5)

    stored = server.get(f"/leads/{lead_id}")
    assert {
        k: stored[k]
        for k in (
            "first_name",
            "last_name",
            "email",
            "company",
            "linkedin_url",
            "job_title",
            "location",
            "notes",
            "tags",
            "custom_fields",
            "status",
        )
    } == {
        "first_name": "John",
        "last_name": "Doe",
        "email": "john.doe@example.com",
        "company": "Example Corp",
        "linkedin_url": "https://linkedin.com/in/johndoe",
        "job_title": "Software Engineer",
        "location": "San Francisco, CA",
        "notes": "Met at tech conference 2024",
        "tags": ["conference", "engineer", "potential"],
        "custom_fields": {"lead_source": "conference", "priority": "high", "budget": 50000},
        "status": "active",
    }
    assert stored["phone"]  # kept (the server may normalise its format)


def test_create_lead_example_twice_reports_the_conflict(
    server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _run_create_lead_example(server)
    capsys.readouterr()
    _run_create_lead_example(server)

    out = _lines(capsys)
    assert re.fullmatch(
        r"Exception when creating lead: \(409\) Conflict: LEAD_EMAIL_EXISTS: .+ \(request_id=\S+\)",
        out[0],
    )
    assert out[1:] == ["Lead with this email already exists"]
    assert len(server.all_leads(search="john.doe@example.com")) == 1


# -- get_lead -----------------------------------------------------------------------------


def _run_get_lead_example(server: Any, lead_id: str) -> None:
    # fmt: off
    configuration = buena_sdk.Configuration(
        host=server.host
    )
    configuration.api_key['ApiKeyAuth'] = server.key
    with buena_sdk.ApiClient(configuration) as api_client:
        api_instance = DefaultApi(api_client)

        try:
            lead = api_instance.get_lead(lead_id)
            print(f"Lead: {lead.first_name} {lead.last_name}")
            print(f"Email: {lead.email}")
            print(f"Company: {lead.company}")
            print(f"Status: {lead.status}")
            print(f"Created: {lead.created_at.strftime('%Y-%m-%d %H:%M:%S')}")
            # Access custom fields
            if lead.custom_fields:
                print("Custom fields:")
                for key, value in lead.custom_fields.items():
                    print(f" {key}: {value}")
        except ApiException as e:
            print(f"Exception when getting lead: {e}")
            if e.status == 404:
                print("Lead not found")
    # fmt: on


def test_get_lead_example(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    lead = server.create_lead(
        first_name="John",
        last_name="Doe",
        email="john@example.com",
        company="Example Corp",
        custom_fields={"lead_source": "conference", "budget": 50000},
    )
    _run_get_lead_example(server, lead["id"])

    created = datetime.fromisoformat(lead["created_at"].replace("Z", "+00:00"))
    assert _lines(capsys) == [
        "Lead: John Doe",
        "Email: john@example.com",
        "Company: Example Corp",
        "Status: active",
        f"Created: {created.strftime('%Y-%m-%d %H:%M:%S')}",
        "Custom fields:",
        " lead_source: conference",
        " budget: 50000",
    ]
    assert server.get(f"/leads/{lead['id']}") == lead  # reading changed nothing


def test_get_lead_example_for_a_missing_lead(
    server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _run_get_lead_example(server, "lead_123456789")  # the reference's id, which does not exist

    out = _lines(capsys)
    assert re.fullmatch(
        r"Exception when getting lead: \(404\) Not Found: LEAD_NOT_FOUND: .+ \(request_id=\S+\)",
        out[0],
    )
    assert out[1:] == ["Lead not found"]


# -- update_lead --------------------------------------------------------------------------


def test_update_lead_example(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    before = server.create_lead(
        first_name="John",
        last_name="Doe",
        email="john.doe@example.com",
        company="Example Corp",
        job_title="Software Engineer",
        location="San Francisco, CA",
        tags=["conference"],
        custom_fields={"lead_source": "conference", "priority": "high", "budget": 50000},
    )
    lead_id = before["id"]

    # fmt: off
    configuration = buena_sdk.Configuration(
        host=server.host
    )
    configuration.api_key['ApiKeyAuth'] = server.key
    with buena_sdk.ApiClient(configuration) as api_client:
        api_instance = DefaultApi(api_client)

        try:
            # Update lead information
            update_request = buena_sdk.UpdateLeadRequest(
                company="New Company Inc",
                job_title="Senior Software Engineer",
                status="contacted",
                tags=["contacted", "promoted", "hot-lead"],
                notes="Promoted to senior role, very interested in our product",
                custom_fields={
                    "priority": "very_high",
                    "last_contacted": "2024-06-29",
                    "budget": 75000
                }
            )
            updated_lead = api_instance.update_lead(lead_id, update_request)
            print(f"Updated lead: {updated_lead.first_name} {updated_lead.last_name}")
            print(f"New company: {updated_lead.company}")
            print(f"New status: {updated_lead.status}")
        except ApiException as e:
            print(f"Exception when updating lead: {e}")
            if e.status == 404:
                print("Lead not found")
            elif e.status == 409:
                print("Email already exists (if updating email)")
    # fmt: on

    assert _lines(capsys) == [
        "Updated lead: John Doe",
        "New company: New Company Inc",
        "New status: contacted",
    ]
    after = server.get(f"/leads/{lead_id}")
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {
        "company",
        "job_title",
        "status",
        "tags",
        "notes",
        "custom_fields",
        "updated_at",
    }
    assert after["company"] == "New Company Inc"
    assert after["job_title"] == "Senior Software Engineer"
    assert after["status"] == "contacted"
    assert after["tags"] == ["contacted", "promoted", "hot-lead"]
    assert after["notes"] == "Promoted to senior role, very interested in our product"
    # custom_fields merge key by key: lead_source, not sent, is kept.
    assert after["custom_fields"] == {
        "lead_source": "conference",
        "priority": "very_high",
        "last_contacted": "2024-06-29",
        "budget": 75000,
    }


# -- delete_lead --------------------------------------------------------------------------


def test_delete_lead_example(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    lead_id = server.create_lead(first_name="A", last_name="B", email="ab@example.com")["id"]
    kept_id = server.create_lead(first_name="C", last_name="D", email="cd@example.com")["id"]

    # fmt: off
    configuration = buena_sdk.Configuration(
        host=server.host
    )
    configuration.api_key['ApiKeyAuth'] = server.key
    with buena_sdk.ApiClient(configuration) as api_client:
        api_instance = DefaultApi(api_client)

        try:
            result = api_instance.delete_lead(lead_id)
            if result.get("success"):
                print(f"Successfully deleted lead: {result.get('deleted_id')}")
                print(f"Message: {result.get('message')}")
            else:
                print(f"Failed to delete lead: {result.get('message')}")
        except ApiException as e:
            print(f"Exception when deleting lead: {e}")
            if e.status == 404:
                print("Lead not found")
    # fmt: on

    out = _lines(capsys)
    assert out[0] == f"Successfully deleted lead: {lead_id}"
    assert out[1].startswith("Message: ")
    assert len(out) == 2
    assert server.lead_status(lead_id) == 404
    assert server.lead_status(kept_id) == 200


# -- list_api_keys ------------------------------------------------------------------------


def test_list_api_keys_example(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    keys = server.get("/keys")

    # fmt: off
    configuration = buena_sdk.Configuration(
        host=server.host
    )
    configuration.api_key['ApiKeyAuth'] = server.key
    with buena_sdk.ApiClient(configuration) as api_client:
        api_instance = DefaultApi(api_client)

        try:
            api_keys = api_instance.list_api_keys()
            print(f"You have {api_keys.total} API keys:")
            for key in api_keys.data:
                status = "Active" if key.is_active else "Inactive"
                print(f"{key.name}: {key.key_preview} ({status})")
                print(f" Permissions: {', '.join(key.permissions)}")
                if key.last_used:
                    print(f" Last used: {key.last_used.strftime('%Y-%m-%d %H:%M:%S')}")
                if key.expires_at:
                    print(f" Expires: {key.expires_at.strftime('%Y-%m-%d')}")
                print()
        except ApiException as e:
            print(f"Exception when listing API keys: {e}")
    # fmt: on

    out = _lines(capsys)
    assert out[0] == f"You have {keys['total']} API keys:"
    admin_preview = server.key[:8] + "..."
    admin = out.index(f"Admin key: {admin_preview} (Active)")
    # The reference's seven, then the enrichment group's three, the LinkedIn group's four
    # and the voice group's five (every permission).
    assert out[admin + 1] == (
        " Permissions: leads:read, leads:write, leads:delete, api_keys:read, api_keys:write,"
        " webhooks:read, webhooks:write, leads:enrich, jobs:read, jobs:update,"
        " linkedin:read, linkedin:schedule, linkedin:upload, linkedin:voice,"
        " voice:read, voice:create, voice:update, voice:delete, voice:preview"
    )
    assert out.count("") == keys["total"]  # one blank line after each key


# -- create_api_key -----------------------------------------------------------------------


def test_create_api_key_example(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # fmt: off
    configuration = buena_sdk.Configuration(
        host=server.host
    )
    configuration.api_key['ApiKeyAuth'] = server.key
    with buena_sdk.ApiClient(configuration) as api_client:
        api_instance = DefaultApi(api_client)

        from datetime import datetime, timedelta
        try:
            # Create API key that expires in 1 year
            expiry_date = datetime.now() + timedelta(days=365)
            key_request = buena_sdk.CreateApiKeyRequest(
                name="Integration API Key",
                permissions=["leads:read", "leads:write"],
                description="For CRM integration",
                expires_at=expiry_date
            )
            new_api_key = api_instance.create_api_key(key_request)
            print(f"Created API key: {new_api_key.name}")
            print(f"Key: {new_api_key.key}") # SAVE THIS! Won't be shown again
            print(f"Preview: {new_api_key.key_preview}")
            print(f"Permissions: {', '.join(new_api_key.permissions)}")
            print(f"Expires: {new_api_key.expires_at.strftime('%Y-%m-%d') if new_api_key.expires_at else 'Never'}")
        except ApiException as e:
            print(f"Exception when creating API key: {e}")
            if e.status == 400:
                print("Check required fields: name, permissions")
            elif e.status == 422:
                print("Invalid permissions specified")
    # fmt: on

    out = _lines(capsys)
    assert out[0] == "Created API key: Integration API Key"
    secret = out[1].removeprefix("Key: ")
    assert re.fullmatch(r"bna_[0-9a-f]{64}", secret)
    assert out[2] == f"Preview: {secret[:8]}..."
    assert out[3] == "Permissions: leads:read, leads:write"
    expires = datetime.strptime(out[4].removeprefix("Expires: "), "%Y-%m-%d")
    assert abs(expires - (datetime.now() + timedelta(days=365))) < timedelta(days=2)

    # The new key works, with exactly the permissions it was given.
    assert server.call("GET", "/leads", key=secret)[0] == 200
    assert server.call("GET", "/keys", key=secret)[0] == 403
    listed = {key["key_preview"]: key for key in server.get("/keys")["data"]}
    assert listed[secret[:8] + "..."]["description"] == "For CRM integration"


# -- health_check -------------------------------------------------------------------------


def test_health_check_example(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # fmt: off
    configuration = buena_sdk.Configuration(
        host=server.host
    )
    configuration.api_key['ApiKeyAuth'] = server.key
    with buena_sdk.ApiClient(configuration) as api_client:
        api_instance = DefaultApi(api_client)

        try:
            health = api_instance.health_check()
            print(f"API Status: {health.status}")
            print(f"Version: {health.version}")
            print(f"Response Time: {health.response_time}ms")
            print(f"Timestamp: {health.timestamp.strftime('%Y-%m-%d %H:%M:%S')}")
            if health.status == 'healthy':
                print("✅ All systems operational")
            else:
                print("⚠️ Some services may be experiencing issues")
                print("Service status:")
                for service, status in health.services.items():
                    emoji = "✅" if status == "healthy" else "⚠️" if status == "degraded" else "❌"
                    print(f" {emoji} {service}: {status}")
        except ApiException as e:
            print(f"Exception when checking health: {e}")
            if e.status == 503:
                print("Service temporarily unavailable")
    # fmt: on

    out = _lines(capsys)
    assert out[0] == "API Status: healthy"
    assert out[1] == f"Version: {server.get('/health')['version']}"
    assert re.fullmatch(r"Response Time: \d+ms", out[2])
    stamp = datetime.strptime(out[3].removeprefix("Timestamp: "), "%Y-%m-%d %H:%M:%S")
    assert abs(stamp.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=5)
    assert out[4:] == ["✅ All systems operational"]


# -- Async Support ------------------------------------------------------------------------


def test_async_example(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # fmt: off
    import asyncio
    import buena_sdk
    from buena_sdk.api.default_api import DefaultApi
    from buena_sdk.rest import ApiException
    async def async_example():
        configuration = buena_sdk.Configuration(
            host=server.host
        )
        configuration.api_key['ApiKeyAuth'] = server.key
        async with buena_sdk.ApiClient(configuration) as api_client:
            api_instance = DefaultApi(api_client)
            try:
                # List leads asynchronously
                leads = await api_instance.list_leads_async()
                print(f"Found {leads.total} leads")
                # Create lead asynchronously
                lead_request = buena_sdk.CreateLeadRequest(
                    first_name="Jane",
                    last_name="Smith",
                    email="jane@example.com"
                )
                new_lead = await api_instance.create_lead_async(lead_request)
                print(f"Created lead: {new_lead.id}")
            except ApiException as e:
                print(f"Exception: {e}")
    # Run async function
    asyncio.run(async_example())
    # fmt: on

    out = _lines(capsys)
    assert out[0] == "Found 0 leads"
    lead_id = out[1].removeprefix("Created lead: ")
    assert len(out) == 2
    stored = server.get(f"/leads/{lead_id}")
    assert (stored["first_name"], stored["last_name"], stored["email"]) == (
        "Jane",
        "Smith",
        "jane@example.com",
    )


# -- Error Handling -----------------------------------------------------------------------


def test_error_handling_decorator_example(
    server: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # fmt: off
    from buena_sdk.rest import ApiException
    import logging
    def handle_api_errors(func):
        """Decorator for handling API errors"""
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except ApiException as e:
                logging.error(f"API Exception in {func.__name__}: {e}")
                # Handle specific error codes
                error_messages = {
                    401: "Invalid API key - check your authentication",
                    403: "Insufficient permissions for this operation",
                    404: "Resource not found",
                    409: "Conflict - resource already exists",
                    422: "Validation error - check your input data",
                    429: "Rate limit exceeded - please retry later",
                    500: "Server error - contact support if this persists",
                    503: "Service temporarily unavailable"
                }
                message = error_messages.get(e.status, f"HTTP error {e.status}")
                print(f"Error {e.status}: {message}")
                # Log response body for debugging
                if hasattr(e, 'body') and e.body:
                    logging.debug(f"Response body: {e.body}")
                raise # Re-raise for caller to handle
            except Exception as e:
                logging.error(f"Unexpected error in {func.__name__}: {e}")
                raise
        return wrapper
    # Usage example
    @handle_api_errors
    def create_lead_safe(api_instance, lead_data):
        return api_instance.create_lead(lead_data)
    # fmt: on

    configuration = buena_sdk.Configuration(host=server.host)
    configuration.api_key["ApiKeyAuth"] = server.key
    lead_data = buena_sdk.CreateLeadRequest(
        first_name="Sam", last_name="Lee", email="sam@example.com"
    )
    with buena_sdk.ApiClient(configuration) as api_client:
        api_instance = DefaultApi(api_client)
        created = create_lead_safe(api_instance, lead_data)
        assert capsys.readouterr().out == ""

        with caplog.at_level(logging.DEBUG), pytest.raises(ApiException) as caught:
            create_lead_safe(api_instance, lead_data)
        assert caught.value.status == 409

        invalid = buena_sdk.CreateLeadRequest(first_name="X", last_name="Y", email="not-an-email")
        with pytest.raises(ApiException):
            create_lead_safe(api_instance, invalid)

    assert _lines(capsys) == [
        "Error 409: Conflict - resource already exists",
        "Error 422: Validation error - check your input data",
    ]
    assert "API Exception in create_lead_safe: (409) Conflict: LEAD_EMAIL_EXISTS" in caplog.text
    assert f'"existing_id":"{created.id}"' in caplog.text.replace(" ", "")
    assert [lead["email"] for lead in server.all_leads()] == ["sam@example.com"]


def test_api_call_with_retry_example(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    for n in range(3):
        server.create_lead(first_name=f"Lead{n}", last_name="R", email=f"r{n}@example.com")

    # fmt: off
    configuration = buena_sdk.Configuration(
        host=server.host
    )
    configuration.api_key['ApiKeyAuth'] = server.key
    with buena_sdk.ApiClient(configuration) as api_client:
        api_instance = DefaultApi(api_client)

        # Retry with exponential backoff
        import time
        import random
        def api_call_with_retry(func, *args, max_retries=3, **kwargs):
            """Execute API call with exponential backoff retry"""
            for attempt in range(max_retries):
                try:
                    return func(*args, **kwargs)
                except ApiException as e:
                    if e.status == 429 and attempt < max_retries - 1:
                        # Rate limited - wait with exponential backoff
                        wait_time = (2 ** attempt) + random.uniform(0, 1)
                        print(f"Rate limited. Waiting {wait_time:.2f}s before retry {attempt + 1}...")
                        time.sleep(wait_time)
                    else:
                        raise
        # Usage
        try:
            leads = api_call_with_retry(api_instance.list_leads, limit=50)
        except ApiException as e:
            print(f"Failed after retries: {e}")
    # fmt: on

        assert isinstance(leads, buena_sdk.ListLeads200Response)
        assert leads.total == 3
        assert leads.limit == 50
        assert sorted(lead.first_name for lead in leads.data) == ["Lead0", "Lead1", "Lead2"]

        # A failure that is not a 429 is raised at once, as the example's else branch says.
        try:
            api_call_with_retry(api_instance.get_lead, "lead_123456789")
        except ApiException as e:
            print(f"Failed after retries: {e}")
    out = _lines(capsys)
    assert len(out) == 1
    assert out[0].startswith("Failed after retries: (404) Not Found: LEAD_NOT_FOUND")


# -- Pagination Helper --------------------------------------------------------------------


def test_pagination_helper_example(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # 55 leads of Example Corp (two pages of the example's 50) and some of other companies.
    for n in range(55):
        server.create_lead(
            first_name=f"Ex{n:02d}",
            last_name="Corp",
            email=f"ex{n}@example.com",
            company="Example Corp",
        )
    for n in range(3):
        server.create_lead(
            first_name=f"Other{n}", last_name="Co", email=f"o{n}@example.com", company="Other Co"
        )

    # fmt: off
    configuration = buena_sdk.Configuration(
        host=server.host
    )
    configuration.api_key['ApiKeyAuth'] = server.key
    with buena_sdk.ApiClient(configuration) as api_client:
        api_instance = DefaultApi(api_client)

        def paginate_leads(api_instance, page_size=50, **filters):
            """Generator function to paginate through all leads"""
            offset = 0
            while True:
                try:
                    response = api_instance.list_leads(
                        limit=page_size,
                        offset=offset,
                        **filters
                    )
                    # Yield each lead
                    for lead in response.data:
                        yield lead
                    # Check if we've reached the end
                    if len(response.data) < page_size:
                        break
                    offset += page_size
                except ApiException as e:
                    print(f"Error during pagination: {e}")
                    break
        # Usage
        for lead in paginate_leads(api_instance, company="Example Corp"):
            print(f"Processing lead: {lead.first_name} {lead.last_name}")
    # fmt: on

    out = _lines(capsys)
    assert len(out) == 55
    assert sorted(out) == [f"Processing lead: Ex{n:02d} Corp" for n in range(55)]
    assert len(server.all_leads()) == 58


# -- Configuration Options ----------------------------------------------------------------


def test_configuration_options_example(server: Any) -> None:
    # fmt: off
    import buena_sdk
    from urllib3.util.retry import Retry
    from urllib3 import PoolManager
    # Advanced configuration
    configuration = buena_sdk.Configuration(
        host=server.host,
        api_key={'ApiKeyAuth': server.key},
        # SSL settings
        verify_ssl=True,
        ssl_ca_cert=None,
        cert_file=None,
        key_file=None,
        # Connection pool settings
        connection_pool_maxsize=10,
        # Proxy settings
        proxy=None, # or "http://proxy.example.com:8080"
        proxy_headers=None,
        # Timeout settings
        timeout=30, # Request timeout in seconds
        # User agent
        user_agent="BuenaSDK-Python/1.0.0"
    )
    # Custom retry strategy
    retry_strategy = Retry(
        total=3,
        backoff_factor=1,
        status_forcelist=[429, 500, 502, 503, 504],
    )
    # Use custom configuration
    with buena_sdk.ApiClient(configuration) as api_client:
        # Configure custom retry strategy
        api_client.rest_client.pool_manager = PoolManager(
            num_pools=10,
            retries=retry_strategy
        )
        api_instance = DefaultApi(api_client)
    # fmt: on

        # The custom manager is the one in use, with the retry strategy the example gave it.
        manager = api_client.rest_client.pool_manager
        assert manager.connection_pool_kw["retries"] is retry_strategy
        assert api_client.rest_client.uses_custom_pool_manager
        lead = api_instance.create_lead(buena_sdk.CreateLeadRequest(
            first_name="Pool", last_name="Manager", email="pool@example.com"))
        assert api_instance.get_lead(lead.id).email == "pool@example.com"
        assert len(manager.pools) == 1  # the requests went through the new manager
    assert server.lead_status(lead.id) == 200
