"""Phone numbers, offline: libphonenumber's metadata, geocoder, carrier and time zones
(the ``phonenumbers`` package)."""

from __future__ import annotations

from typing import Final

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, carrier, geocoder, timezone

from buena_server.enrichment.model import CONTACT, Finding, LeadInput, Option

# libphonenumber's placeholder for a number it cannot place in a time zone.
_UNKNOWN_ZONE: Final = "Etc/Unknown"


class PhoneProvider:
    name = "phone"
    cost = 1
    options: frozenset[Option] = frozenset({CONTACT})

    def __init__(self, default_region: str | None = None) -> None:
        # BUENA_DEFAULT_PHONE_REGION: the region of numbers written without +country code.
        self.default_region = default_region

    async def enrich(self, lead: LeadInput) -> Finding | None:
        if not lead.phone:
            return None
        try:
            number = phonenumbers.parse(lead.phone, self.default_region)
        except phonenumbers.NumberParseException:
            return Finding({"phone_info": {"valid": False}}, validity=0.0)
        valid = phonenumbers.is_valid_number(number)
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        zones = [z for z in timezone.time_zones_for_number(number) if z != _UNKNOWN_ZONE]
        line_type = phonenumbers.number_type(number)
        info = {
            "e164": e164,
            "international": phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
            "country": phonenumbers.region_code_for_number(number),
            "region": geocoder.description_for_number(number, "en") or None,
            "carrier": carrier.name_for_number(number, "en") or None,
            "line_type": PhoneNumberType.to_string(line_type).lower(),
            "time_zones": zones,
            "valid": valid,
        }
        data: dict[str, object] = {"phone_info": info}
        if valid:
            data["phone"] = e164
            if info["region"]:
                data["location"] = info["region"]
        possible = phonenumbers.is_possible_number(number)
        validity = 1.0 if valid else 0.5 if possible else 0.2
        return Finding(data, validity, normalized=frozenset({"phone"}))
