"""The built-in enrichment providers on real inputs, the merge and confidence rule, and the
plug-in seam through a real entry point."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from buena_server.enrichment.combine import agree, enrich_lead
from buena_server.enrichment.company import CompanyProvider, name_guess, registrable_domain
from buena_server.enrichment.emails import EmailProvider, role_prefixes
from buena_server.enrichment.linkedin import LinkedInProvider, canonical_profile
from buena_server.enrichment.model import CONTACT, OPTIONS, SOCIAL, Finding, LeadInput
from buena_server.enrichment.names import NameProvider
from buena_server.enrichment.phone import PhoneProvider
from buena_server.enrichment.registry import (
    ENTRY_POINT_GROUP,
    ProviderError,
    ProviderRegistry,
    ProviderSettings,
)


async def phone_info(number: str, region: str | None = None) -> dict[str, Any]:
    finding = await PhoneProvider(region).enrich(LeadInput(phone=number))
    assert finding is not None
    info: dict[str, Any] = finding.data["phone_info"]
    return info


class TestPhone:
    async def test_us_number(self) -> None:
        info = await phone_info("(650) 253-0000", "US")
        assert info["e164"] == "+16502530000"
        assert info["international"] == "+1 650-253-0000"
        assert info["country"] == "US"
        assert info["region"] == "Mountain View, CA"
        assert info["time_zones"] == ["America/Los_Angeles"]
        assert info["line_type"] == "fixed_line_or_mobile"
        assert info["valid"] is True

    async def test_uk_mobile_with_carrier(self) -> None:
        info = await phone_info("+44 7911 123456")
        assert info["e164"] == "+447911123456"
        assert info["line_type"] == "mobile"
        assert info["carrier"]
        assert "Europe/London" in info["time_zones"]

    async def test_french_mobile_and_german_landline(self) -> None:
        fr = await phone_info("+33 6 12 34 56 78")
        assert (fr["country"], fr["carrier"], fr["line_type"]) == ("FR", "SFR", "mobile")
        de = await phone_info("030 123456", "DE")
        assert (de["e164"], de["region"], de["line_type"]) == (
            "+4930123456",
            "Berlin",
            "fixed_line",
        )

    async def test_national_number_needs_the_default_region(self) -> None:
        finding = await PhoneProvider(None).enrich(LeadInput(phone="030 123456"))
        assert finding is not None
        assert finding.data == {"phone_info": {"valid": False}}
        assert finding.validity == 0.0

    async def test_possible_but_invalid_number(self) -> None:
        finding = await PhoneProvider(None).enrich(LeadInput(phone="+1 555 123 4567"))
        assert finding is not None
        assert finding.data["phone_info"]["valid"] is False
        assert "phone" not in finding.data  # an invalid number is not offered as the phone
        assert finding.validity == 0.5

    async def test_valid_number_gives_phone_and_location(self) -> None:
        finding = await PhoneProvider("US").enrich(LeadInput(phone="650 253 0000"))
        assert finding is not None
        assert finding.data["phone"] == "+16502530000"
        assert finding.data["location"] == "Mountain View, CA"
        assert finding.normalized == {"phone"}

    async def test_no_phone_no_finding(self) -> None:
        assert await PhoneProvider().enrich(LeadInput(email="a@b.com")) is None


async def email_info(address: str) -> dict[str, Any]:
    finding = await EmailProvider().enrich(LeadInput(email=address))
    assert finding is not None
    info: dict[str, Any] = finding.data["email_info"]
    return info


class TestEmail:
    async def test_free_mail(self) -> None:
        info = await email_info("John.Doe@GMAIL.com")
        assert info == {
            "normalized": "John.Doe@gmail.com",
            "domain": "gmail.com",
            "is_free": True,
            "is_disposable": False,
            "is_role": False,
            "deliverable": None,  # BUENA_ENRICHMENT_DNS is off
        }

    async def test_disposable(self) -> None:
        info = await email_info("someone@mailinator.com")
        assert info["is_disposable"] is True
        finding = await EmailProvider().enrich(LeadInput(email="someone@mailinator.com"))
        assert finding is not None
        assert finding.validity == 0.5

    async def test_corporate(self) -> None:
        info = await email_info("ada.lovelace@analytical-engines.co.uk")
        assert (info["is_free"], info["is_disposable"], info["is_role"]) == (False, False, False)
        assert info["domain"] == "analytical-engines.co.uk"

    @pytest.mark.parametrize("address", ["sales@acme.io", "Info@acme.io", "support+eu@acme.io"])
    async def test_role_accounts(self, address: str) -> None:
        assert (await email_info(address))["is_role"] is True

    async def test_role_list_comes_from_the_package_data(self) -> None:
        assert {"sales", "info", "support", "postmaster"} <= role_prefixes()
        assert len(role_prefixes()) > 500

    async def test_invalid_address(self) -> None:
        finding = await EmailProvider().enrich(LeadInput(email="not an email"))
        assert finding is not None
        assert finding.validity == 0.0
        assert "email" not in finding.data

    @pytest.mark.parametrize(
        ("address", "deliverable"),
        [("ada@acme-widgets.com", True), ("ada@gone-widgets.com", False)],
    )
    async def test_dns_on_asks_for_mail_servers(self, address: str, deliverable: bool) -> None:
        """With BUENA_ENRICHMENT_DNS on, the domain's MX records decide ``deliverable``
        (a local DNS server answers: acme-widgets.com has one, gone-widgets.com does not
        exist)."""
        async with fake_dns({"acme-widgets.com.": "10 mail.acme-widgets.com."}) as resolver:
            provider = EmailProvider(check_dns=True, dns_resolver=resolver)
            finding = await provider.enrich(LeadInput(email=address))
        assert finding is not None
        assert finding.data["email_info"]["deliverable"] is deliverable
        assert finding.validity == (1.0 if deliverable else 0.0)


class _FakeDns(asyncio.DatagramProtocol):
    def __init__(self, mx: dict[str, str]) -> None:
        self.mx = mx
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        import dns.message
        import dns.rcode
        import dns.rdatatype
        import dns.rrset

        query = dns.message.from_wire(data)
        answer = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text()
        if name not in self.mx:
            answer.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.MX:
            answer.answer.append(dns.rrset.from_text(name, 300, "IN", "MX", self.mx[name]))
        assert self.transport is not None
        self.transport.sendto(answer.to_wire(), addr)


@contextlib.asynccontextmanager
async def fake_dns(mx: dict[str, str]) -> AsyncIterator[Any]:
    import dns.resolver

    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _FakeDns(mx), local_addr=("127.0.0.1", 0)
    )
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = transport.get_extra_info("sockname")[1]
    resolver.lifetime = 5.0
    try:
        yield resolver
    finally:
        transport.close()


class TestNames:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (
                "dr. JOHN q. public jr.",
                {
                    "title": "Dr.",
                    "first_name": "John",
                    "middle_name": "Q.",
                    "last_name": "Public",
                    "suffix": "Jr.",
                },
            ),
            ("van der Berg, Anna", {"first_name": "Anna", "last_name": "van der Berg"}),
            ("ADA LOVELACE", {"first_name": "Ada", "last_name": "Lovelace"}),
            ("Prof. Dr. Hans-Peter Müller", {"title": "Prof. Dr.", "first_name": "Hans-Peter"}),
            ("Ludwig deLacy", {"first_name": "Ludwig", "last_name": "deLacy"}),
        ],
    )
    async def test_full_names(self, text: str, expected: dict[str, str]) -> None:
        finding = await NameProvider().enrich(LeadInput(full_name=text))
        assert finding is not None
        info = finding.data["name_info"]
        assert {k: info[k] for k in expected} == expected
        assert finding.normalized == frozenset()  # parsed from a full name: an inference

    async def test_first_and_last_are_capitalised_in_place(self) -> None:
        finding = await NameProvider().enrich(LeadInput(first_name="mary-jane", last_name="o'neil"))
        assert finding is not None
        assert (finding.data["first_name"], finding.data["last_name"]) == ("Mary-Jane", "O'Neil")
        assert finding.normalized == {"first_name", "last_name"}

    async def test_one_word(self) -> None:
        finding = await NameProvider().enrich(LeadInput(full_name="Cher"))
        assert finding is not None
        assert finding.validity == 0.6

    async def test_nothing_to_parse(self) -> None:
        assert await NameProvider().enrich(LeadInput(full_name="   ")) is None


class TestCompany:
    async def test_corporate_domain(self) -> None:
        finding = await CompanyProvider().enrich(LeadInput(email="ada@mail.acme-widgets.co.uk"))
        assert finding is not None
        assert finding.data["company_info"] == {
            "name": "Acme Widgets",
            "domain": "acme-widgets.co.uk",
            "website": "https://acme-widgets.co.uk",
        }

    async def test_given_company_names_the_company(self) -> None:
        lead = LeadInput(email="ada@acme.io", company="ACME Corporation")
        finding = await CompanyProvider().enrich(lead)
        assert finding is not None
        assert finding.data["company_info"]["name"] == "ACME Corporation"
        assert finding.data["company"] == "Acme"  # the guess, compared with the input

    @pytest.mark.parametrize("address", ["a@gmail.com", "a@mailinator.com", "a@co.uk", "x@@"])
    async def test_no_company(self, address: str) -> None:
        assert await CompanyProvider().enrich(LeadInput(email=address)) is None

    def test_public_suffix_list_is_bundled(self) -> None:
        assert registrable_domain("www.bbc.co.uk") == "bbc.co.uk"
        assert registrable_domain("foo.github.io") == "foo.github.io"
        assert name_guess("new_york-times.com") == "New York Times"


class TestLinkedIn:
    CANONICAL = "https://www.linkedin.com/in/john-doe-1a2b3c/"

    @pytest.mark.parametrize(
        "url",
        [
            "https://www.linkedin.com/in/john-doe-1a2b3c",
            "http://linkedin.com/in/John-Doe-1a2b3c/",
            "linkedin.com/in/john-doe-1a2b3c",
            "https://m.linkedin.com/in/john-doe-1a2b3c",
            "https://uk.linkedin.com/in/john-doe-1a2b3c/",
            "https://de.linkedin.com/in/john-doe-1a2b3c/details/experience/",
            "https://www.linkedin.com/in/john-doe-1a2b3c?utm_source=share&trk=x#top",
            "  https://WWW.LinkedIn.com/in/john-doe-1a2b3c/recent-activity/all/  ",
        ],
    )
    def test_profile_variants(self, url: str) -> None:
        assert canonical_profile(url) == (self.CANONICAL, "john-doe-1a2b3c")

    def test_encoded_identifier(self) -> None:
        found = canonical_profile("https://es.linkedin.com/in/jos%C3%A9-garc%C3%ADa/")
        assert found == ("https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa/", "josé-garcía")

    @pytest.mark.parametrize(
        "url",
        [
            "https://www.linkedin.com/company/acme/",
            "https://www.linkedin.com/school/mit/",
            "https://www.linkedin.com/jobs/view/123/",
            "https://www.linkedin.com/feed/",
            "https://www.linkedin.com/in/",
            "https://linkedin.com.evil.example/in/john-doe",
            "https://www.example.com/in/john-doe",
            "ftp://www.linkedin.com/in/john-doe",
        ],
    )
    def test_not_a_profile(self, url: str) -> None:
        assert canonical_profile(url) is None

    async def test_finding(self) -> None:
        finding = await LinkedInProvider().enrich(LeadInput(linkedin_url="linkedin.com/in/ada-l"))
        assert finding is not None
        assert finding.data["social_profiles"] == {
            "linkedin": "https://www.linkedin.com/in/ada-l/",
            "linkedin_public_identifier": "ada-l",
        }
        assert await LinkedInProvider().enrich(LeadInput(linkedin_url="https://x.com/a")) is None


def registry(**costs: int) -> ProviderRegistry:
    return ProviderRegistry.load(ProviderSettings(default_phone_region="US"), costs)


class TestCombine:
    async def test_everything_a_lead_says(self) -> None:
        lead = LeadInput(
            full_name="dr. JOHN q. public jr.",
            email="John.Public@Acme-Widgets.com",
            phone="(650) 253-0000",
            company="Acme Widgets Inc.",
            linkedin_url="https://m.linkedin.com/in/john-public?trk=x",
        )
        result = await enrich_lead(lead, registry().serving(OPTIONS))
        assert result is not None
        assert result.sources == ["name", "email", "phone", "company", "linkedin"]
        assert result.cost == 5
        data = result.data
        assert (data["first_name"], data["last_name"]) == ("John", "Public")
        assert data["phone"] == "+16502530000"
        assert data["email"] == "John.Public@acme-widgets.com"
        assert data["company"] == "Acme Widgets Inc."  # the input stands; the guess agrees
        assert data["location"] == "Mountain View, CA"
        assert data["linkedin_url"] == "https://www.linkedin.com/in/john-public/"
        # validity: (1 + 1 + 1 + 0.8 + 1) / 5; the company guess agrees with the input.
        assert result.confidence == 0.96

    async def test_disagreement_lowers_confidence(self) -> None:
        lead = LeadInput(email="j@acme.io", company="Globex")
        result = await enrich_lead(lead, registry().serving(OPTIONS))
        assert result is not None
        assert result.data["company"] == "Globex"
        # validity (1 + 0.8) / 2 = 0.9; one compared key, disagreeing: times 0.5.
        assert result.confidence == 0.45

    async def test_options_choose_providers(self) -> None:
        lead = LeadInput(
            email="j@acme.io", phone="+16502530000", linkedin_url="linkedin.com/in/j-x"
        )
        result = await enrich_lead(lead, registry().serving([SOCIAL]))
        assert result is not None
        assert result.sources == ["linkedin"]
        result = await enrich_lead(lead, registry().serving([CONTACT]))
        assert result is not None
        assert result.sources == ["email", "phone"]

    async def test_nothing_found(self) -> None:
        assert await enrich_lead(LeadInput(), registry().serving(OPTIONS)) is None

    async def test_costs_are_configurable_and_zero_allowed(self) -> None:
        reg = registry(email=0, phone=3)
        result = await enrich_lead(
            LeadInput(email="a@gmail.com", phone="+16502530000"), reg.serving(OPTIONS)
        )
        assert result is not None
        assert result.cost == 3

    def test_unknown_or_negative_costs_refused(self) -> None:
        with pytest.raises(ProviderError, match="unknown providers: nope"):
            registry(nope=1)
        with pytest.raises(ProviderError, match="costs -1"):
            registry(email=-1)

    async def test_failing_provider_costs_only_its_own_finding(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        class Broken:
            name = "broken"
            cost = 7
            options = frozenset({CONTACT})

            async def enrich(self, lead: LeadInput) -> Finding | None:
                raise RuntimeError("down")

        reg = ProviderRegistry([Broken(), EmailProvider()])
        result = await enrich_lead(LeadInput(email="a@gmail.com"), reg.serving([CONTACT]))
        assert result is not None
        assert result.sources == ["email"]
        assert result.cost == 1
        assert "enrichment provider 'broken' failed" in caplog.text

    def test_agreement(self) -> None:
        assert agree("Acme", "ACME Corp.")
        assert agree("+16502530000", "(650) 253-0000")
        assert not agree("Globex", "Acme")
        assert not agree("", "Acme")


PLUGIN = '''
from buena_server.enrichment.model import Finding, LeadInput, SOCIAL


class GitHubGuess:
    """A test plug-in: a GitHub profile from the email's local part."""

    name = "github_guess"
    cost = 2
    options = frozenset({SOCIAL})

    def __init__(self, settings):
        self.settings = settings

    async def enrich(self, lead: LeadInput):
        if not lead.email:
            return None
        user = lead.email.split("@")[0]
        return Finding({"social_profiles": {"github": f"https://github.com/{user}"}}, 0.5)
'''


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A distribution installed the way pip leaves one: a module and its dist-info with an
    entry_points.txt, in a directory on sys.path."""
    (tmp_path / "buena_test_plugin.py").write_text(PLUGIN)
    info = tmp_path / "buena_test_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: buena-test-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent(f"""\
            [{ENTRY_POINT_GROUP}]
            github_guess = buena_test_plugin:GitHubGuess
            """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("buena_test_plugin", None)


class TestPlugins:
    async def test_entry_point_provider_is_loaded_and_runs(self, installed_plugin: Path) -> None:
        reg = ProviderRegistry.load(ProviderSettings())
        assert reg.names() == ["name", "email", "phone", "company", "linkedin", "github_guess"]
        assert reg.cost_of("github_guess") == 2
        result = await enrich_lead(LeadInput(email="octo@acme.io"), reg.serving([SOCIAL]))
        assert result is not None
        assert result.sources == ["github_guess"]
        assert result.data["social_profiles"] == {"github": "https://github.com/octo"}
        assert result.confidence == 0.5

    def test_plugin_cost_can_be_configured(self, installed_plugin: Path) -> None:
        assert (
            ProviderRegistry.load(ProviderSettings(), {"github_guess": 0}).cost_of("github_guess")
            == 0
        )

    def test_plugin_that_fails_to_load_stops_start_up(self, installed_plugin: Path) -> None:
        (installed_plugin / "buena_test_plugin.py").write_text("raise ImportError('missing')\n")
        with pytest.raises(ProviderError, match=r"'github_guess'.*failed to load: missing"):
            ProviderRegistry.load(ProviderSettings())

    def test_a_name_taken_twice_is_refused(self) -> None:
        with pytest.raises(ProviderError, match="two enrichment providers are named 'email'"):
            ProviderRegistry([EmailProvider(), EmailProvider()])

    def test_not_a_provider_is_refused(self) -> None:
        with pytest.raises(ProviderError, match="is not an enrichment provider"):
            ProviderRegistry([object()])  # type: ignore[list-item]
