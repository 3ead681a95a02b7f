"""SQLite: a search's count reads the covering index (migration 0006), not row after row."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from buena_server.leads.listing import (
    LeadFilters,
    LeadQuery,
    list_values,
    shape_of,
    total_statement,
)
from buena_server.leads.repository import LeadRepository
from buena_server.services import services_of

from backends import ON_POSTGRES
from server_testing import Account, InProcessClient

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's query planner")


@pytest.mark.parametrize(
    "query", [LeadQuery(LeadFilters(search="john")), LeadQuery(LeadFilters(company="acme"))]
)
async def test_a_filtered_count_reads_only_the_covering_index(
    client: InProcessClient, account: Account, query: LeadQuery
) -> None:
    await account.create_lead(first_name="John", email="john@example.com", company="Acme")
    async with services_of(client.app).database.transaction(write=False) as conn:
        repository = LeadRepository(conn)
        count = total_statement(shape_of(query.filters), "sqlite").params(
            list_values(account.id, query.filters)
        )
        compiled = count.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        plan = (await conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))).all()
        _page, total, _more = await repository.find_page(account.id, query)
    assert total == 1
    details = " ".join(str(row[-1]) for row in plan)
    assert "COVERING INDEX ix_leads_account_id_full_name_lower_email_lower_company_lower" in (
        details
    ), details
