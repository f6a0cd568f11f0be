"""Sign-in end to end: a real OpenID Connect provider on 127.0.0.1, `streamlit run ui/app.py`, headless Chromium.

The provider is oidc-provider-mock (its authorization page asks for the subject; the e-mail claim is the
subject). An SDR signs in, cannot open the segment editor or run a cycle, agrees with a grade and signs
out; a leader signs in, writes a segment and runs a cycle, then finds both people's actions on the Audit page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from icp.companies import import_rows
from icp.cycle import run_cycle
from icp.evaluators.offline import OfflineEvaluator
from icp.importing import parse_rows
from icp.queue import ranked_queue
from icp.segments import create_segment, list_segments
from icp.store import open_engine
from icp.store.tables import Cycle
from icp.tasks import MotionSpec, create_motion
from icp.team import list_events
from tests.ui.conftest import COMPANIES_CSV, SEGMENT_NAME, SEGMENT_REQUIREMENTS
from tests.ui.test_browser import WAIT_S, _free_port, _save_screenshot, streamlit_app
from tests.ui.test_browser import browser as browser
from tests.ui.test_browser import pytestmark as browser_marks

pytestmark = [
    *browser_marks,
    pytest.mark.slow,
    # The provider (in this process) still uses authlib.jose and get_jwt_config, which Authlib deprecates.
    pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]

ROLES = "leader=lee@acme.com; sdr=dana@acme.com"


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """oidc-provider-mock on 127.0.0.1 (plain HTTP, as a local provider is)."""
    import oidc_provider_mock
    import werkzeug.serving

    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def team_server(tmp_path: Path, provider: str) -> Iterator[tuple[str, str, int]]:
    """`streamlit run ui/app.py` with an [auth] section for ``provider``; a graded book with one motion."""
    db_url = f"sqlite:///{tmp_path / 'team.db'}"
    engine = open_engine(db_url)
    with Session(engine) as session:
        create_segment(session, SEGMENT_NAME, SEGMENT_REQUIREMENTS, priority=1)
        import_rows(session, parse_rows(COMPANIES_CSV, "companies.csv"))
        create_motion(session, MotionSpec(name="Outbound", segments=[SEGMENT_NAME], capacity=10))
    run_cycle(engine, OfflineEvaluator())
    with Session(engine) as session:
        top_grade = ranked_queue(session)[0]
    engine.dispose()

    port = _free_port()
    app_url = f"http://127.0.0.1:{port}"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{app_url}/oauth2callback"\n'
        'cookie_secret = "a-long-random-cookie-secret-for-this-test"\n'
        'client_id = "icp"\n'
        'client_secret = "icp-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    env = {"ICP_DATABASE_URL": db_url, "ICP_ROLES": ROLES, "AUTHLIB_INSECURE_TRANSPORT": "1"}
    with streamlit_app(tmp_path, env, "--secrets.files", str(secrets), port=port):
        yield app_url, db_url, top_grade.grade_id


def test_an_sdr_and_a_leader_sign_in_each_does_what_their_role_allows_and_the_audit_page_shows_it(
    team_server: tuple[str, str, int],
    browser,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    app_url, db_url, grade_id = team_server
    started = time.monotonic()
    wait = WebDriverWait(browser, WAIT_S)

    def element(css: str):  # type: ignore[no-untyped-def]
        return wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, css)))

    def body() -> str:
        return str(browser.find_element(By.TAG_NAME, "body").text)

    def page_shows(text: str) -> None:
        wait.until(lambda d: text in d.find_element(By.TAG_NAME, "body").text)

    def idle() -> None:
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-testid='stStatusWidget']"))

    def sign_in(email: str) -> None:
        browser.get(app_url)
        element(".st-key-sign_in_default button").click()  # to the provider's authorization page
        subject = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "input[name='sub']")))
        subject.send_keys(email, Keys.ENTER)
        page_shows("Signed in as")
        page_shows(email)

    def sign_out() -> None:
        element(".st-key-sign_out button").click()  # Streamlit ends the session at the provider too
        wait.until(ec.element_to_be_clickable((By.XPATH, "//button[normalize-space()='End session']"))).click()
        element(".st-key-sign_in_default button")

    def lap(stage: str) -> None:
        print(f"  {time.monotonic() - started:5.1f} s  {stage}")

    def open_page(slug: str) -> None:
        element(f"[data-testid='stSidebarNav'] a[href$='/{slug}']").click()
        idle()

    # Before sign-in: a sign-in page and nothing else.
    browser.get(app_url)
    element(".st-key-sign_in_default button")
    assert SEGMENT_NAME not in body() and not browser.find_elements(By.CSS_SELECTOR, "[data-testid='stSidebarNav']")

    lap("signed-out page")
    # The SDR: segments read-only, no cycle to run; agrees with a grade in the queue.
    sign_in("dana@acme.com")
    page_shows("sdr")
    page_shows("read-only")
    # The shipped configuration: no developer menu (rerun, clear cache, settings) and no Deploy button.
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid='stMainMenu']") and "Deploy" not in body()
    assert not browser.find_elements(By.CSS_SELECTOR, ".st-key-seg_save")
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid='stSidebarNav'] a[href$='/audit']")
    lap("sdr signed in")
    open_page("cycles")
    page_shows("Running cycles takes the leader role")
    element(".st-key-cy_estimate button").click()
    page_shows("To grade")
    assert browser.find_element(By.CSS_SELECTOR, ".st-key-cy_run button").get_attribute("disabled") is not None
    lap("sdr cycles checked")
    open_page("queue")
    element(".st-key-q_open input").click()
    wait.until(ec.element_to_be_clickable((By.XPATH, "//*[@role='option'][contains(., '#1 Acme Cloud')]"))).click()
    element(f".st-key-fb_agree_{grade_id} button").click()
    page_shows("Thanks: your agreement is stored with this grade.")
    _save_screenshot(browser, tmp_path, "sign-in-sdr.png")
    lap("sdr agreed")
    sign_out()

    lap("sdr signed out")
    # The leader: writes a segment and runs a cycle, then reads the audit trail.
    sign_in("lee@acme.com")
    page_shows("leader")
    element(".st-key-seg_name input").send_keys("EU SaaS", Keys.TAB)
    idle()
    requirements = element(".st-key-seg_requirements_field textarea")
    requirements.send_keys("- B2B SaaS company\n- Based in Germany")
    requirements.send_keys(Keys.CONTROL, Keys.ENTER)
    idle()
    page_shows("Who this draft would pick")  # the typed text reached the server and was graded
    save = element(".st-key-seg_save button")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", save)
    save.click()
    page_shows("Created segment 'EU SaaS' (version 1).")
    lap("leader saved segment")
    open_page("cycles")
    element(".st-key-cy_estimate button").click()
    page_shows("To grade")
    element(".st-key-cy_run button").click()
    page_shows("Cycle #2 completed")
    lap("leader ran cycle")
    open_page("audit")
    page_shows("newest first")
    for shown in ("dana@acme.com", "feedback.record", "lee@acme.com", "segment.create", "cycle.start"):
        page_shows(shown)
    _save_screenshot(browser, tmp_path, "sign-in-audit.png")
    sign_out()
    elapsed = time.monotonic() - started

    engine = open_engine(db_url)
    with Session(engine) as session:
        by_person = {(e.actor, e.action) for e in list_events(session)}
        assert [s.name for s in list_segments(session)] == ["EU SaaS", SEGMENT_NAME] or len(list_segments(session)) == 2
        assert len(session.exec(select(Cycle)).all()) == 2
    engine.dispose()
    assert ("dana@acme.com", "feedback.record") in by_person
    assert {("lee@acme.com", "segment.create"), ("lee@acme.com", "cycle.start")} <= by_person
    assert not {action for actor, action in by_person if actor == "dana@acme.com"} - {"feedback.record"}
    print(f"sign-in browser flow took {elapsed:.1f} s")
