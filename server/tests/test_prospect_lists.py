"""Prospect lists: uploaded with the lead's rules, matched to leads by email or LinkedIn URL
when read, converted with POST /leads/batch's semantics; linkedin:upload; 404s."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from test_linkedin_api import BEFORE_OPENING, at, connect
from test_linkedin_runs import OPENING

from server_testing import API, Account, MovedClock, assert_error

LISTS = f"{API}/prospect-lists"
ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com",
       "linkedin_url": "http://uk.linkedin.com/in/Ada-Lovelace?trk=x"}  # fmt: skip


async def create(account: Account, body: dict[str, Any], key: str | None = None) -> Any:
    return await account.client.post(LISTS, json=body, headers=account.headers(key))


async def created(account: Account, *prospects: dict[str, Any], name: str = "Founders") -> Any:
    response = await create(account, {"name": name, "prospects": list(prospects)})
    assert response.status_code == 201, response.text
    return response.json()


async def get(account: Account, path: str, key: str | None = None, **params: Any) -> Any:
    return await account.client.get(f"{LISTS}{path}", params=params, headers=account.headers(key))


async def prospects_of(account: Account, list_id: str, **params: Any) -> dict[str, Any]:
    response = await get(account, f"/{list_id}/prospects", **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def convert(account: Account, list_id: str, key: str | None = None) -> Any:
    return await account.client.post(f"{LISTS}/{list_id}/convert", headers=account.headers(key))


class TestCreate:
    async def test_stored_canonical_in_order(self, account: Account) -> None:
        grace = {"first_name": " Grace ", "linkedin_url": "linkedin.com/in/grace-hopper"}
        made = await created(account, ADA, grace)
        assert made["id"].startswith("pl_")
        assert (made["name"], made["prospect_count"]) == ("Founders", 2)
        assert (await get(account, f"/{made['id']}")).json() == made
        body = await prospects_of(account, made["id"])
        assert body["total"] == 2
        first, second = body["data"]
        assert (first["position"], second["position"]) == (0, 1)
        assert first["linkedin_url"] == "https://www.linkedin.com/in/ada-lovelace/"
        assert first["email"] == "Ada@Example.com"
        assert second["first_name"] == "Grace"
        assert second["email"] is None

    @pytest.mark.parametrize(
        ("prospect", "field"),
        [
            (
                {"linkedin_url": "https://www.linkedin.com/company/acme"},
                "prospects[1].linkedin_url",
            ),
            ({"email": "not-an-email"}, "prospects[1].email"),
            ({"first_name": "x" * 101}, "prospects[1].first_name"),
        ],
    )
    async def test_each_prospect_has_the_lead_rules(
        self, account: Account, prospect: dict[str, Any], field: str
    ) -> None:
        response = await create(account, {"name": "L", "prospects": [ADA, prospect]})
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert [e["field"] for e in body["details"]["errors"]] == [field]
        assert (await get(account, "")).json()["total"] == 0  # nothing stored

    async def test_limits_and_shape(self, account: Account) -> None:
        assert (await create(account, {"name": "L", "prospects": []})).status_code == 400
        for many in ([{}] * 10_001, [{"email": "a@b.io", "first_name": "A"}] * 10_001):
            too_many = await create(account, {"name": "L", "prospects": many})
            assert_error(too_many, 400, "INVALID_REQUEST")
        unknown = {"name": "L", "prospects": [{"emial": "a@b.co"}]}
        assert (await create(account, unknown)).status_code == 400
        assert (await create(account, {"name": " ", "prospects": [ADA]})).status_code == 422
        # email and linkedin_url are left out when unknown, never null (their schema says so).
        for field in ("email", "linkedin_url"):
            body = {"name": "L", "prospects": [{field: None}]}
            assert (await create(account, body)).status_code == 400


async def test_listing_is_paged_newest_first(account: Account, other_account: Account) -> None:
    made = [await created(account, ADA, name=f"List {n}") for n in range(3)]
    await created(other_account, ADA)
    page = (await get(account, "", limit=2)).json()
    assert (page["total"], page["limit"]) == (3, 2)
    assert [item["id"] for item in page["data"]] == [made[2]["id"], made[1]["id"]]
    rest = (await get(account, "", limit=2, offset=2)).json()
    assert [item["id"] for item in rest["data"]] == [made[0]["id"]]


async def test_prospects_match_leads_by_email_or_linkedin_url(account: Account) -> None:
    by_email = await account.create_lead(first_name="A", last_name="L", email="ada@example.com")
    by_url = await account.create_lead(
        first_name="G", last_name="H", email="grace@example.com",
        linkedin_url="http://linkedin.com/in/grace-hopper",
    )  # fmt: skip
    made = await created(
        account,
        ADA,
        {"linkedin_url": "https://www.linkedin.com/in/grace-hopper/?x=1"},
        {"email": "new@example.com", "linkedin_url": "linkedin.com/in/someone-new"},
    )
    data = (await prospects_of(account, made["id"]))["data"]
    assert [(p["match"], p["lead_id"], p["matched_by"]) for p in data] == [
        ("lead", by_email["id"], "email"),
        ("lead", by_url["id"], "linkedin_url"),
        ("new", None, None),
    ]
    paged = await prospects_of(account, made["id"], limit=1, offset=1)
    assert [p["lead_id"] for p in paged["data"]] == [by_url["id"]]
    assert (paged["total"], paged["limit"], paged["offset"]) == (3, 1, 1)


async def test_convert_makes_leads_of_the_new_ones_only(account: Account) -> None:
    existing = await account.create_lead(first_name="A", last_name="L", email="ada@example.com")
    grace = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com",
             "company": "Navy", "linkedin_url": "linkedin.com/in/grace-hopper"}  # fmt: skip
    made = await created(
        account,
        ADA,
        grace,
        {"first_name": "No", "linkedin_url": "linkedin.com/in/no-email"},
        {**grace, "linkedin_url": "linkedin.com/in/again", "first_name": "Again"},  # same email
    )
    response = await convert(account, made["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    outcomes = [(r["position"], r["outcome"]) for r in body["results"]]
    assert outcomes == [(0, "existing"), (1, "created"), (2, "error"), (3, "error")]
    assert (body["created"], body["existing"], body["errors"]) == (1, 1, 2)
    assert body["results"][0]["lead_id"] == existing["id"]
    assert body["results"][2]["error"]["status"] == 400  # a lead needs an email
    assert body["results"][3]["error"]["code"] == "LEAD_EMAIL_EXISTS"
    lead_id = body["results"][1]["lead_id"]
    lead = (await account.client.get(f"{API}/leads/{lead_id}", headers=account.headers())).json()
    assert (lead["first_name"], lead["company"]) == ("Grace", "Navy")
    assert lead["linkedin_url"] == "https://www.linkedin.com/in/grace-hopper/"
    # Now matched: converting again makes nothing twice.
    again = (await convert(account, made["id"])).json()
    assert [(r["outcome"], r["lead_id"]) for r in again["results"][:2]] == [
        ("existing", existing["id"]), ("existing", lead_id)
    ]  # fmt: skip
    assert again["created"] == 0


async def test_unknown_and_foreign_lists_are_404(account: Account, other_account: Account) -> None:
    theirs = await created(other_account, ADA)
    for list_id in (theirs["id"], "pl_000000000000000000000000", "no such list"):
        for path in ("", "/prospects"):
            assert_error(await get(account, f"/{list_id}{path}"), 404, "PROSPECT_LIST_NOT_FOUND")
        assert_error(await convert(account, list_id), 404, "PROSPECT_LIST_NOT_FOUND")


async def test_it_needs_linkedin_upload(account: Account) -> None:
    made = await created(account, ADA)
    key = await account.key_with("leads:read", "leads:write", "linkedin:schedule")
    assert_error(
        await create(account, {"name": "L", "prospects": [ADA]}, key), 403, "PERMISSION_DENIED"
    )
    assert_error(await get(account, "", key), 403, "PERMISSION_DENIED")
    assert_error(await convert(account, made["id"], key), 403, "PERMISSION_DENIED")
    uploader = await account.key_with("linkedin:upload")
    assert (await get(account, f"/{made['id']}/prospects", uploader)).status_code == 200


async def schedule(
    account: Account, list_id: str, body: dict[str, Any], key: str | None = None
) -> Any:
    return await account.client.post(
        f"{LISTS}/{list_id}/schedule", json=body, headers=account.headers(key)
    )


class TestSchedule:
    async def test_within_the_limits_one_outcome_each(
        self, account: Account, moved_clock: MovedClock
    ) -> None:
        moved_clock.move_to(BEFORE_OPENING)  # 07:00 in Berlin, a Thursday
        made = await created(
            account,
            *[{"linkedin_url": f"linkedin.com/in/person-{n}"} for n in range(3)],
            {"first_name": "No URL"},
            {"linkedin_url": "linkedin.com/in/person-0"},  # a second request to person-0
        )
        not_yet = await schedule(account, made["id"], {"action_type": "send_connection_request"})
        assert_error(not_yet, 409, "LINKEDIN_NOT_CONNECTED")
        await connect(account, daily_limit=2, min_delay_seconds=60, max_delay_seconds=60)
        lead = await account.create_lead(
            first_name="P", last_name="One", email="p1@example.com",
            linkedin_url="https://www.linkedin.com/in/person-1/",
        )  # fmt: skip
        response = await schedule(
            account, made["id"], {"action_type": "send_connection_request", "message": "Hi!"}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["scheduled"], body["refused"]) == (3, 2)
        results = body["results"]
        assert [r["outcome"] for r in results] == [
            "scheduled", "scheduled", "scheduled", "refused", "refused"
        ]  # fmt: skip
        times = [at(r["scheduled_for"]) for r in results[:3]]
        # Two a local day: 09:00 and a minute later on Thursday, the third on Friday.
        assert times[0] == OPENING
        assert times[1] == OPENING + timedelta(minutes=1)
        assert times[2] == OPENING + timedelta(days=1)
        assert results[1]["lead_id"] == lead["id"]
        assert (results[3]["error"]["status"], results[3]["error"]["field"]) == (
            422, "linkedin_url"
        )  # fmt: skip
        assert results[4]["error"]["code"] == "LINKEDIN_DUPLICATE_ACTION"
        # Each scheduled action is a real one; the refused ones left nothing.
        listed = await account.client.get(f"{API}/linkedin/actions", headers=account.headers())
        assert listed.json()["total"] == 3
        action = await account.client.get(
            f"{API}/linkedin/actions/{results[1]['action_id']}", headers=account.headers()
        )
        assert (action.json()["lead_id"], action.json()["message"]) == (lead["id"], "Hi!")
        # Again: every connection request is a duplicate now.
        again = (
            await schedule(account, made["id"], {"action_type": "send_connection_request"})
        ).json()
        codes = {r["error"]["code"] for r in again["results"] if r["error"]}
        assert again["scheduled"] == 0
        assert codes == {"LINKEDIN_DUPLICATE_ACTION", "VALIDATION_ERROR"}

    async def test_a_field_the_type_does_not_take_refuses_each(
        self, account: Account, moved_clock: MovedClock
    ) -> None:
        moved_clock.move_to(BEFORE_OPENING)
        await connect(account)
        made = await created(account, {"linkedin_url": "linkedin.com/in/someone"})
        body = (
            await schedule(account, made["id"], {"action_type": "view_profile", "message": "x"})
        ).json()
        assert body["refused"] == 1
        assert body["results"][0]["error"]["status"] == 400
        missing = (await schedule(account, made["id"], {"action_type": "send_message"})).json()
        assert missing["results"][0]["error"]["status"] == 400
        note = {"action_type": "send_connection_request", "message": "x" * 301}
        too_long = (await schedule(account, made["id"], note)).json()
        assert too_long["results"][0]["error"]["status"] == 422

    async def test_permissions_and_bodies(self, account: Account) -> None:
        made = await created(account, ADA)
        uploader = await account.key_with("linkedin:upload")
        body = {"action_type": "view_profile"}
        assert_error(await schedule(account, made["id"], body, uploader), 403, "PERMISSION_DENIED")
        voice = {"action_type": "send_voice_message"}
        assert (await schedule(account, made["id"], voice)).status_code == 400
        assert (await schedule(account, made["id"], {"action_type": 1})).status_code == 400
        assert_error(
            await schedule(account, "pl_000000000000000000000000", body), 404,
            "PROSPECT_LIST_NOT_FOUND",
        )  # fmt: skip


async def upload(account: Account, text: str, name: str = "From CSV", **headers: str) -> Any:
    return await account.client.post(
        f"{LISTS}/import",
        params={"name": name},
        content=text.encode(),
        headers={**account.headers(), "content-type": "text/csv", **headers},
    )


class TestCsvImport:
    async def test_columns_mapped_as_the_lead_import(self, account: Account) -> None:
        text = (
            "\ufeffFirst Name,Last Name,E-mail,Company,LinkedIn Profile URL,Favourite colour\r\n"
            'Ada,Lovelace,ada@example.com,"Engines, Ltd",linkedin.com/in/ada-lovelace,red\r\n'
            ",,,,\r\n"
            "Grace,,,,https://uk.linkedin.com/in/grace-hopper\r\n"
        )
        response = await upload(account, text)
        assert response.status_code == 201, response.text
        made = response.json()
        assert response.headers["location"] == f"{LISTS}/{made['id']}"
        assert (made["name"], made["prospect_count"]) == ("From CSV", 2)
        ada, grace = (await prospects_of(account, made["id"]))["data"]
        assert (ada["first_name"], ada["email"], ada["company"]) == (
            "Ada", "ada@example.com", "Engines, Ltd"
        )  # fmt: skip
        assert ada["linkedin_url"] == "https://www.linkedin.com/in/ada-lovelace/"
        assert (grace["first_name"], grace["last_name"], grace["email"]) == ("Grace", None, None)
        assert grace["linkedin_url"] == "https://www.linkedin.com/in/grace-hopper/"

    async def test_rows_have_the_lead_rules(self, account: Account) -> None:
        text = "email,linkedin\nada@example.com,linkedin.com/in/ada\nnot-an-email,\n"
        body = assert_error(await upload(account, text), 422, "VALIDATION_ERROR")
        assert [e["field"] for e in body["details"]["errors"]] == ["prospects[1].email"]
        too_many = "email\n" + "".join(f"p{n}@example.com\n" for n in range(10_001))
        assert_error(await upload(account, too_many), 422, "VALIDATION_ERROR")
        # NUL nowhere, even in a column left out (the schema's pattern says so).
        assert_error(await upload(account, "email,x\na@b.io,\x00\n"), 422, "VALIDATION_ERROR")
        assert (await get(account, "")).json()["total"] == 0

    async def test_type_name_and_permission(self, account: Account) -> None:
        assert_error(
            await upload(account, "email\n", **{"content-type": "application/json"}),
            415, "UNSUPPORTED_MEDIA_TYPE",
        )  # fmt: skip
        assert (await upload(account, "email\n", name=" ")).status_code == 422
        empty = await upload(account, "email\n")
        assert (empty.status_code, empty.json()["prospect_count"]) == (201, 0)
        key = await account.key_with("leads:write")
        response = await account.client.post(
            f"{LISTS}/import", params={"name": "L"}, content=b"email\n",
            headers={**account.headers(key), "content-type": "text/csv"},
        )  # fmt: skip
        assert_error(response, 403, "PERMISSION_DENIED")
