"""Queue page: status per account, what to research, confirming a verdict, and company text shown as text."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from icp.companies import import_rows
from icp.confirmations import list_confirmations
from icp.cycle import run_cycle
from icp.evaluators.offline import OfflineEvaluator
from icp.importing import parse_rows
from icp.queue import ranked_queue
from icp.segments import create_segment
from tests.ui.conftest import open_account, open_page, texts
from ui import state

BEACON = "![pixel](http://127.0.0.1:9/beacon.png)"
CSV = f"""\
Company name,Company Domain Name,Industry,Number of Employees,Country/Region,Technologies,Description
Ledgerline,ledgerline.fr,Fintech,400,France,Salesforce,Card issuing for European banks.
Quietbyte {BEACON},quietbyte.de,,600,Germany,Salesforce,Builds tools. [Click me](http://127.0.0.1:9/x)
""".encode()


def _arrange(db: Engine) -> None:
    with Session(db) as session:
        create_segment(session, "EU Fintech", "Fintech company\nHeadquartered in Europe", "Uses Salesforce")
        import_rows(session, parse_rows(CSV, "companies.csv"))
    run_cycle(db, OfflineEvaluator())


def test_unverified_accounts_say_what_to_research_and_a_confirmation_qualifies_them(app: AppTest, db: Engine) -> None:
    _arrange(db)
    open_page(app, "queue")
    table = app.dataframe[0].value
    assert list(table["status"]) == ["qualified", "unverified"] and list(table["tier"]) == ["T1", "T2"]
    app.selectbox(key=state.Q_STATUS).set_value("unverified").run()
    assert list(app.dataframe[0].value["domain"]) == ["quietbyte.de"]
    with Session(db) as session:
        target = next(e for e in ranked_queue(session) if e.domain == "quietbyte.de")
    open_account(app, target.company_id, target.segment_id)
    account = app
    assert any("Needs research before outreach" in w.value and "R1 Fintech company" in w.value for w in account.warning)
    assert any("stays at T2 until R1 is confirmed" in c.value for c in account.caption)

    # Without a name the confirmation is refused with what to do; with one it is stored.
    pick, verdict, note, go = state.confirm_keys(int(_grade_id(db, "quietbyte.de")))
    app.selectbox(key=pick).set_value("R1")
    app.selectbox(key=verdict).set_value("met")
    app.text_input(key=note).set_value("their site sells card issuing")
    app.button(key=go).click().run()
    assert any("Type your name" in e.value for e in app.error)
    app.text_input(key=state.Q_AUTHOR).set_value("dana").run()
    app.selectbox(key=pick).set_value("R1")
    app.selectbox(key=verdict).set_value("met")
    app.button(key=go).click().run()
    assert not app.exception
    assert any("Confirmed R1" in s.value for s in app.success)
    with Session(db) as session:
        [confirmation] = list_confirmations(session)
    assert (confirmation.criterion, confirmation.verdict, confirmation.author) == ("Fintech company", "met", "dana")

    run_cycle(db, OfflineEvaluator())
    with Session(db) as session:
        entry = next(e for e in ranked_queue(session) if e.domain == "quietbyte.de")
    assert (entry.status, entry.tier) == ("qualified", "T1")


def test_company_text_is_shown_as_text_never_as_markup(app: AppTest, db: Engine) -> None:
    _arrange(db)
    open_page(app, "queue")
    with Session(db) as session:
        target = next(e for e in ranked_queue(session) if e.domain == "quietbyte.de")
    open_account(app, target.company_id, target.segment_id)
    rendered = texts(app)
    assert "![pixel](" not in rendered and "[Click me](" not in rendered  # no live image or link anywhere
    assert "\\!\\[pixel\\]" in rendered  # shown, escaped, as the company wrote it
    open_page(app, "companies")
    app.text_input(key=state.CO_SEARCH).set_value("quietbyte").run()
    assert "[Click me](" not in texts(app)


def _grade_id(db: Engine, domain: str) -> int:
    with Session(db) as session:
        return next(e.grade_id for e in ranked_queue(session) if e.domain == domain)
