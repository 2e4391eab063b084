"""Which webhook URLs Switchyard may call (the SSRF policy), with resolvers made up here."""

from __future__ import annotations

import pytest

from adapters.webhook_urls import (
    AllowedHosts,
    UnsafeWebhookUrl,
    UnsignedWebhook,
    WebhookPolicy,
    addresses_to_call,
    check_webhook_secret,
    check_webhook_url,
    needs_lookup,
)

DEV = WebhookPolicy()
PROD = WebhookPolicy(environment="production")


def resolves_to(*addresses: str):  # type: ignore[no-untyped-def]
    return lambda host: list(addresses)


def nowhere(host: str) -> list[str]:
    raise OSError("Name or service not known")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://api.localhost/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://100.64.0.1/hook",
        "http://[fe80::1]/hook",
    ],
)
def test_internal_addresses_are_refused_in_every_environment(url: str) -> None:
    with pytest.raises(UnsafeWebhookUrl, match="DOM_WEBHOOK_ALLOWED_HOSTS"):
        check_webhook_url(url, DEV, resolve=resolves_to("93.184.216.34"))


def test_a_name_that_resolves_inside_the_network_is_refused() -> None:
    with pytest.raises(UnsafeWebhookUrl, match=r"'3pl.example.com', which resolves to 10.0.0.7"):
        check_webhook_url(
            "https://3pl.example.com/hook", PROD, resolve=resolves_to("93.184.216.34", "10.0.0.7")
        )


def test_a_public_https_url_is_accepted_everywhere() -> None:
    for policy in (DEV, PROD):
        check_webhook_url(
            "https://3pl.example.com/hook", policy, resolve=resolves_to("93.184.216.34")
        )


def test_http_is_for_development_only() -> None:
    check_webhook_url("http://3pl.example.com/hook", DEV, resolve=resolves_to("93.184.216.34"))
    with pytest.raises(UnsafeWebhookUrl, match="must use https outside development"):
        check_webhook_url("http://3pl.example.com/hook", PROD, resolve=resolves_to("93.184.216.34"))


def test_allowances_name_hosts_addresses_or_ranges() -> None:
    allowed = AllowedHosts.parse(["127.0.0.1", "10.0.0.0/8", "3pl.internal", " "])
    dev = WebhookPolicy("development", allowed)
    check_webhook_url("http://127.0.0.1:9000/hook", dev)
    check_webhook_url("http://10.20.30.40/hook", dev)
    check_webhook_url("https://3PL.internal./hook", dev, resolve=nowhere)  # by name, unresolved
    check_webhook_url("https://wms.example.com/", dev, resolve=resolves_to("10.9.9.9"))
    with pytest.raises(UnsafeWebhookUrl):
        check_webhook_url("http://192.168.0.1/hook", dev)
    with pytest.raises(UnsafeWebhookUrl, match="https"):  # an allowance never waives https
        check_webhook_url("http://127.0.0.1/hook", WebhookPolicy("production", allowed))


def test_a_malformed_range_is_refused() -> None:
    with pytest.raises(ValueError, match="not an address range"):
        AllowedHosts.parse(["10.0.0.0/33"])


def test_a_name_that_does_not_resolve_yet_passes() -> None:
    """Its DNS record may come later; until then the call fails and is retried."""
    check_webhook_url("https://not-yet.example.com/hook", PROD, resolve=nowhere)


def test_only_names_nobody_vouched_for_are_looked_up() -> None:
    allowed = WebhookPolicy("development", AllowedHosts.parse(["3pl.internal"]))
    assert needs_lookup("https://3pl.example.com/hook", allowed)
    assert not needs_lookup("https://3pl.internal/hook", allowed)
    assert not needs_lookup("http://127.0.0.1:9000/hook", allowed)


def test_production_needs_a_signing_secret() -> None:
    check_webhook_secret(None, DEV)
    check_webhook_secret("s3cret", PROD)
    for missing in (None, "", "  "):
        with pytest.raises(UnsignedWebhook, match="signing secret"):
            check_webhook_secret(missing, PROD)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://3pl.example.com/hook", "must start with https://"),
        ("https:///hook", "names no host"),
        ("https://user:pw@3pl.example.com/hook", "credentials"),
        ("http://[::1/hook", "cannot be read"),
    ],
)
def test_malformed_urls_say_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(UnsafeWebhookUrl, match=says):
        check_webhook_url(url, DEV, resolve=resolves_to("93.184.216.34"))


def test_a_password_in_the_url_is_never_repeated() -> None:
    with pytest.raises(UnsafeWebhookUrl) as refused:
        check_webhook_url("https://ops:hunter2@3pl.example.com/hook", DEV, resolve=None)
    assert "hunter2" not in str(refused.value)
    assert "https://***@3pl.example.com/hook" in str(refused.value)


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1"])
def test_other_spellings_of_loopback_are_caught_by_resolving_them(host: str) -> None:
    """The system resolver reads these numeric forms itself (no DNS query is sent)."""
    with pytest.raises(UnsafeWebhookUrl, match=r"resolves to 127\.0\.0\.1"):
        check_webhook_url(f"http://{host}/hook", DEV)


@pytest.mark.parametrize(
    "host", ["a..b.example.com", "x" * 64 + ".example.com", "a\u0080b.example.com", "a" * 300]
)
def test_a_host_name_dns_cannot_look_up_is_refused_naming_it(host: str) -> None:
    """Refused before any lookup, as a bad URL (a 422 naming the field), never a crash."""
    with pytest.raises(UnsafeWebhookUrl, match="not a host name DNS can look up"):
        check_webhook_url(f"https://{host}/hook", DEV, resolve=resolves_to("93.184.216.34"))


# IPv6 forms that carry an IPv4 address, each of a refused one: (address, form, inside).
EMBEDDED = [
    ("2002:7f00:1::", "6to4", "127.0.0.1"),
    ("2002:a9fe:a9fe::1", "6to4", "169.254.169.254"),
    ("64:ff9b::7f00:1", "NAT64", "127.0.0.1"),
    ("64:ff9b::a00:7", "NAT64", "10.0.0.7"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo", "127.0.0.1"),  # client inverted
    ("::ffff:10.0.0.7", "IPv4-mapped", "10.0.0.7"),
    ("::127.0.0.1", "IPv4-compatible", "127.0.0.1"),
    ("::192.168.1.1", "IPv4-compatible", "192.168.1.1"),
    ("2600::5efe:7f00:1", "ISATAP", "127.0.0.1"),
    ("2600::200:5efe:a9fe:a9fe", "ISATAP", "169.254.169.254"),
]


@pytest.mark.parametrize(("address", "form", "inside"), EMBEDDED)
def test_an_ipv6_form_of_a_refused_ipv4_address_is_refused_as_a_literal(
    address: str, form: str, inside: str
) -> None:
    with pytest.raises(UnsafeWebhookUrl, match=rf"\({form} of {inside}\)"):
        check_webhook_url(f"http://[{address}]/hook", DEV, resolve=None)


@pytest.mark.parametrize(("address", "form", "inside"), EMBEDDED)
def test_an_ipv6_form_of_a_refused_ipv4_address_is_refused_when_dns_answers_it(
    address: str, form: str, inside: str
) -> None:
    with pytest.raises(UnsafeWebhookUrl, match=rf"which resolves to .*\({form} of {inside}\)"):
        check_webhook_url("https://3pl.example.com/hook", PROD, resolve=resolves_to(address))
    with pytest.raises(UnsafeWebhookUrl, match=rf"\({form} of {inside}\)"):
        addresses_to_call("3pl.example.com", PROD, resolve=resolves_to("93.184.216.34", address))


def test_the_local_use_nat64_prefix_is_refused_whole() -> None:
    with pytest.raises(UnsafeWebhookUrl, match="local-use NAT64"):
        check_webhook_url("http://[64:ff9b:1::5db8:d822]/hook", DEV, resolve=None)


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::5db8:d822", "::ffff:93.184.216.34", "2002:5db8:d822::1", "2606:4700::1111"],
)
def test_an_ipv6_form_of_a_public_ipv4_address_may_be_called(address: str) -> None:
    """A NAT64 network's DNS64 answers 64:ff9b::<v4> for every IPv4-only host: those stay
    callable when the address inside is public."""
    check_webhook_url(f"http://[{address}]/hook", DEV, resolve=None)
    assert addresses_to_call("3pl.example.com", PROD, resolve=resolves_to(address)) == [address]


def test_an_allowed_ipv4_range_allows_its_ipv6_forms() -> None:
    policy = WebhookPolicy.of("development", ["10.0.0.0/8"])
    check_webhook_url("http://[64:ff9b::a00:7]/hook", policy, resolve=None)
    check_webhook_url("http://[::ffff:10.0.0.7]/hook", policy, resolve=None)
