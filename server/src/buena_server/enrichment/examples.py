"""The OpenAPI examples of POST /enrich and GET /leads/{id}/enrichment: real answers of
the built-in providers (``test_enrichment_api.py`` holds them to what the server says)."""

from __future__ import annotations

from typing import Any

from buena_server.jobs import examples as job_examples

REQUEST: dict[str, Any] = {
    "leads": [
        {
            "full_name": "dr. JOHN q. public jr.",
            "email": "John.Public@Acme-Widgets.com",
            "phone": "+1 (650) 253-0000",
            "linkedin_url": "https://m.linkedin.com/in/john-public?trk=x",
        },
        {"email": "someone@mailinator.com", "phone": "+33 6 12 34 56 78"},
        {"lead_id": "lead_3f9c2a7b1e4d5c6b7a8f9e0d"},
    ],
    "options": {
        "include_personal_info": True,
        "include_company_info": True,
        "include_social_profiles": True,
        "include_contact_info": True,
    },
    "update_leads": False,
}

ENRICHED: dict[str, Any] = {
    "input": REQUEST["leads"][0],
    "enriched_data": {
        "first_name": "John",
        "last_name": "Public",
        "email": "John.Public@acme-widgets.com",
        "alternative_emails": [],
        "phone": "+16502530000",
        "linkedin_url": "https://www.linkedin.com/in/john-public/",
        "company": "Acme Widgets",
        "title": None,
        "location": "Mountain View, CA",
        "company_info": {
            "name": "Acme Widgets",
            "domain": "acme-widgets.com",
            "website": "https://acme-widgets.com",
            "industry": None,
            "employee_count": None,
            "location": None,
            "linkedin_url": None,
        },
        "social_profiles": {
            "linkedin": "https://www.linkedin.com/in/john-public/",
            "linkedin_public_identifier": "john-public",
            "twitter": None,
            "github": None,
            "facebook": None,
        },
        "email_info": {
            "normalized": "John.Public@acme-widgets.com",
            "domain": "acme-widgets.com",
            "is_free": False,
            "is_disposable": False,
            "is_role": False,
            "deliverable": None,
        },
        "phone_info": {
            "e164": "+16502530000",
            "international": "+1 650-253-0000",
            "country": "US",
            "region": "Mountain View, CA",
            "carrier": None,
            "line_type": "fixed_line_or_mobile",
            "time_zones": ["America/Los_Angeles"],
            "valid": True,
        },
        "name_info": {
            "full_name": "Dr. John Q. Public Jr.",
            "title": "Dr.",
            "first_name": "John",
            "middle_name": "Q.",
            "last_name": "Public",
            "suffix": "Jr.",
        },
    },
    "confidence": 0.96,
    "sources": ["name", "email", "phone", "company", "linkedin"],
    "updated_fields": [],
}

DISPOSABLE: dict[str, Any] = {
    "input": REQUEST["leads"][1],
    "enriched_data": {
        "first_name": None,
        "last_name": None,
        "email": "someone@mailinator.com",
        "alternative_emails": [],
        "phone": "+33612345678",
        "linkedin_url": None,
        "company": None,
        "title": None,
        "location": "France",
        "company_info": None,
        "social_profiles": None,
        "email_info": {
            "normalized": "someone@mailinator.com",
            "domain": "mailinator.com",
            "is_free": True,
            "is_disposable": True,
            "is_role": False,
            "deliverable": None,
        },
        "phone_info": {
            "e164": "+33612345678",
            "international": "+33 6 12 34 56 78",
            "country": "FR",
            "region": "France",
            "carrier": "SFR",
            "line_type": "mobile",
            "time_zones": ["Europe/Paris"],
            "valid": True,
        },
        "name_info": None,
    },
    "confidence": 0.75,
    "sources": ["email", "phone"],
    "updated_fields": [],
}

RESPONSE: dict[str, Any] = {
    "enriched": [ENRICHED, DISPOSABLE],
    "failed": [
        {
            "input": REQUEST["leads"][2],
            "code": "LEAD_NOT_FOUND",
            "message": "Lead 'lead_3f9c2a7b1e4d5c6b7a8f9e0d' not found",
        }
    ],
    "credits_used": 7,
    "remaining_credits": 993,
}

PROVENANCE: dict[str, Any] = {
    "lead_id": "lead_3f9c2a7b1e4d5c6b7a8f9e0d",
    "enriched_at": "2026-12-06T09:30:00Z",
    "sources": ["name", "email", "phone", "company"],
    "confidence": 0.95,
    "fields": {
        "company": {
            "value": "Acme Widgets",
            "sources": ["company"],
            "enriched_at": "2026-12-06T09:30:00Z",
        },
        "location": {
            "value": "Mountain View, CA",
            "sources": ["phone"],
            "enriched_at": "2026-12-06T09:30:00Z",
        },
    },
}

# A job: the stored leads of one status and tag, written back.
FILTER_REQUEST: dict[str, Any] = {
    "filter": {"status": "active", "tags": ["webinar-2026"]},
    "options": {
        "include_personal_info": True,
        "include_company_info": True,
        "include_social_profiles": True,
        "include_contact_info": True,
    },
    "update_leads": True,
}
SUBMITTED_JOB_ID = "job_2d8e4f6a0b1c3d5e7f9a1b2c"
SUBMITTED_JOB: dict[str, Any] = {
    **job_examples.JOB,
    "id": SUBMITTED_JOB_ID,
    "status": "pending",
    "progress": 0,
    "total": 2500,
    "processed": 0,
    "succeeded": 0,
    "failed": 0,
    "result_url": f"/api/v2/jobs/{SUBMITTED_JOB_ID}/result",
    "created_at": "2026-12-06T09:30:00Z",
    "started_at": None,
    "updated_at": "2026-12-06T09:30:00Z",
}
