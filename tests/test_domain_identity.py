"""Company identity: IDNA-normalised, validated hostnames; e-mail addresses give their domain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from icp.companies import get_company, import_companies, list_companies
from icp.domain import normalize_domain, validate_domain
from icp.store.tables import Company


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("https://www.MÜNCHEN.de/impressum", "xn--mnchen-3ya.de"),
        ("Acme.COM.", "acme.com"),
        ("https://user:secret@www.acme.com:8443/x?y#z", "acme.com"),
        ("jane.doe@acme.com", "acme.com"),
        ("mailto:jane@acme.com", "acme.com"),
        ("bücher.example.co.uk", "xn--bcher-kva.example.co.uk"),
    ],
)
def test_domains_normalise_to_one_key(raw: str, key: str) -> None:
    assert validate_domain(raw) == key
    assert normalize_domain(raw) == key


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("a..b", "empty label"),
        ("127.0.0.1", "IP address"),
        ("http://[::1]:80/", "IP address"),
        ("acme\n.com", "whitespace, a control character"),
        ("acme.com\nevil.com", "whitespace, a control character"),
        ("acme\u202e.com", "invisible/direction character"),
        ("ac\x00me.com", "control character"),
        ("zero\u200bwidth.com", "invisible"),
        ("a" * 300 + ".com", "a label of 300 characters; the limit is 63"),
        (".".join(["abcdefghij"] * 30), "the limit is 253"),
        ("localhost", "must look like example.com"),
        ("acme.123", "ends in a number"),
        ("exa_mple.com", "not a valid domain name"),
        ("", "no domain name"),
    ],
)
def test_invalid_hostnames_are_refused_with_the_reason(raw: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        validate_domain(raw)


def test_idna_spellings_are_one_company(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(
        json.dumps(
            [{"name": "Stadtwerke", "domain": "münchen.de"}, {"name": "Stadtwerke", "domain": "xn--mnchen-3ya.de"}]
        )
    )
    report = import_companies(session, path)
    assert report.created == 1
    assert report.errors[0].reason == "duplicate domain xn--mnchen-3ya.de (first seen on row 1)"
    again = tmp_path / "again.json"
    again.write_text(json.dumps([{"name": "Stadtwerke", "domain": "xn--mnchen-3ya.de"}]))
    assert import_companies(session, again).unchanged == 1
    assert get_company(session, "https://münchen.de/").name == "Stadtwerke"
    assert [c.domain for c in list_companies(session, search="münchen.de")] == ["xn--mnchen-3ya.de"]


def test_weak_identities_are_row_errors_and_emails_warn(session: Session, tmp_path: Path) -> None:
    rows = [
        {"name": "Dots", "domain": "a..b"},
        {"name": "Mail", "domain": "user@acme.com"},
        {"name": "Loopback", "domain": "127.0.0.1"},
        {"name": "Newline", "domain": "acme\n.io"},
        {"name": "RLO", "domain": "moc.\u202eevil.com"},
        {"name": "Nul", "domain": "nul\x00.com"},
        {"name": "Long", "domain": "x" * 300 + ".com"},
        {"name": "Good", "domain": "good.com"},
    ]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(rows))
    report = import_companies(session, path)
    assert report.created == 2
    assert [e.row for e in report.errors] == [1, 3, 4, 5, 6, 7]
    assert all(e.reason.startswith("domain: ") for e in report.errors)
    assert sorted(c.domain for c in session.exec(select(Company))) == ["acme.com", "good.com"]
    assert [w.row for w in report.warnings if "e-mail address" in w.message] == [2]


def test_a_lookup_with_an_invalid_domain_is_not_found_not_a_crash(session: Session) -> None:
    from icp.errors import NotFoundError

    with pytest.raises(NotFoundError):
        get_company(session, "a..b\u202e")
