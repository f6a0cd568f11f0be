"""The Companies page: upload with preview and row errors; search; detail with memberships."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from icp.companies import count_companies, get_company
from icp.cycle import run_cycle
from icp.evaluators.offline import OfflineEvaluator
from tests.ui.conftest import open_page, texts
from ui import state, widgets

CSV_WITH_ONE_BAD_ROW = b"""Company name,Company Domain Name,Number of Employees,Country/Region,Owner
Acme Cloud,acme.io,800,United States,Jane
Broken Co,broken.io,lots,Germany,Ola
Birch Analytics,birch.io,450,United States,Jane
"""


def test_import_a_csv_with_one_bad_row_shows_its_error(app: AppTest, db: Engine) -> None:
    open_page(app, "companies")
    app.file_uploader(key=state.CO_UPLOAD).set_value(("crm.csv", CSV_WITH_ONE_BAD_ROW, "text/csv")).run()
    assert not app.exception
    assert f"**3 rows** read from {widgets.plain('crm.csv')}." in texts(app)
    mapping = app.dataframe[0].value
    assert dict(zip(mapping["column in the file"], mapping["reads as"], strict=True)) == {
        "Company name": "name",
        "Company Domain Name": "domain",
        "Number of Employees": "employees",
        "Country/Region": "country",
    }
    assert "Ignored columns: Owner" in texts(app)  # ignored columns are listed

    app.button(key=state.CO_IMPORT).click().run()

    assert not app.exception
    assert "2 new" in texts(app) and "1 rejected" in texts(app)
    errors = next(df.value for df in app.dataframe if "reason" in df.value.columns)
    assert list(errors["row"]) == [3]
    assert list(errors["domain"]) == ["broken.io"]
    assert "employees" in errors["reason"][0]
    with Session(db) as session:
        assert count_companies(session) == 2


def test_all_or_nothing_imports_nothing_when_a_row_is_bad(app: AppTest, db: Engine) -> None:
    open_page(app, "companies")
    app.file_uploader(key=state.CO_UPLOAD).set_value(("crm.csv", CSV_WITH_ONE_BAD_ROW, "text/csv")).run()
    app.checkbox(key=state.CO_ALL_OR_NOTHING).check().run()
    app.button(key=state.CO_IMPORT).click().run()
    assert any("Nothing was imported" in w.value for w in app.warning)
    with Session(db) as session:
        assert count_companies(session) == 0


def test_unreadable_file_is_refused_with_a_message(app: AppTest) -> None:
    open_page(app, "companies")
    app.file_uploader(key=state.CO_UPLOAD).set_value(("crm.json", b"{not json", "application/json")).run()
    assert not app.exception
    assert app.error, "a broken file shows an error instead of a preview"


def test_search_and_open_a_company_with_its_segments(app: AppTest, seeded: Engine) -> None:
    run_cycle(seeded, OfflineEvaluator())
    open_page(app, "companies")
    app.text_input(key=state.CO_SEARCH).set_value("acme").run()
    listing = app.dataframe[0].value
    assert list(listing["domain"]) == ["acme.io"]

    app.selectbox(key=state.CO_PICK).set_value("acme.io").run()
    assert not app.exception
    shown = texts(app)
    assert "### Acme Cloud" in shown
    assert "**US B2B SaaS** (v1)" in shown
    with Session(seeded) as session:
        assert get_company(session, "acme.io").name == "Acme Cloud"


def test_company_without_grades_says_so(app: AppTest, seeded: Engine) -> None:
    open_page(app, "companies")
    app.selectbox(key=state.CO_PICK).set_value("cobalt.com").run()
    assert "Not graded yet" in texts(app)


def test_an_excel_unicode_text_file_and_a_guessed_encoding_are_explained(app: AppTest, db: Engine) -> None:
    open_page(app, "companies")
    unicode_text = "Company name\tCompany Domain Name\tCity\nMüller GmbH\tmueller.de\tMünchen\n".encode("utf-16")
    app.file_uploader(key=state.CO_UPLOAD).set_value(("export.txt", unicode_text, "text/plain")).run()
    assert not app.exception
    app.button(key=state.CO_IMPORT).click().run()
    assert "1 new" in texts(app)
    with Session(db) as session:
        assert get_company(session, "mueller.de").city == "München"

    western = "name,domain,city\nCafé Noir,cafe.fr,Besançon\n".encode("cp1252")
    app.file_uploader(key=state.CO_UPLOAD).set_value(("excel.csv", western, "text/csv")).run()
    assert any(widgets.plain("Windows-1252 (cp1252)") in w.value for w in app.warning)  # shown as text
    app.button(key=state.CO_IMPORT).click().run()
    warnings = next(df.value for df in app.dataframe if "warning" in df.value.columns)
    assert "Windows-1252" in warnings["warning"][0]
