"""End to end in a real headless Chromium: `streamlit run ui/app.py`, create a segment, run a cycle, see the queue.

Needs Debian's ``chromium`` and ``chromium-driver`` (CI installs them); skipped with a reason when absent.
Set ``ICP_ARTIFACTS=1`` to also copy the screenshots to ``artifacts/`` in the checkout (or
``ICP_ARTIFACTS=<folder>`` for another folder).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from icp.companies import import_rows
from icp.importing import parse_rows
from icp.outcomes import Deal, store_deals
from icp.store import open_engine
from tests.ui.conftest import APP, COMPANIES_CSV

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Read at import: the autouse fixture clears ICP_* variables before each test runs.
ARTIFACTS = os.environ.get("ICP_ARTIFACTS")
REPO = APP.parents[1]
WAIT_S = 20

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"),
    pytest.mark.skipif(not Path(CHROMEDRIVER).exists(), reason="needs chromedriver (apt-get install chromium-driver)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"streamlit did not become healthy in 30 s:\n{log.read_text(errors='replace')}")


@contextlib.contextmanager
def streamlit_app(tmp_path: Path, env: dict[str, str], *args: str, port: int | None = None) -> Iterator[str]:
    """`streamlit run ui/app.py` on a free localhost port (or ``port``) with ``env`` added; yields its URL.

    It runs from the checkout, so the shipped .streamlit/config.toml applies; its output goes to
    ``tmp_path/streamlit.log``, which a failure to start prints.
    """
    port = port or _free_port()
    log = tmp_path / "streamlit.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(APP),
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
                *args,
            ],  # fmt: skip
            cwd=REPO,
            env={**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`streamlit run ui/app.py` on a free localhost port, on a temp database holding four companies and a
    closed deal for each (two won, two lost), so a draft segment can be backtested before it is saved."""
    db_url = f"sqlite:///{tmp_path / 'browser.db'}"
    engine = open_engine(db_url)
    with Session(engine) as session:
        import_rows(session, parse_rows(COMPANIES_CSV, "companies.csv"))
        deals = [
            Deal(
                deal_id=f"d-{domain}",
                name=f"Deal {domain}",
                result=result,
                domain=domain,
                created=date(2026, 1, 5),
                closed_on=date(2026, 3, 2),
            )
            for domain, result in [
                ("acme.io", "won"),
                ("birch.io", "won"),
                ("cobalt.com", "lost"),
                ("delta.de", "lost"),
            ]
        ]
        store_deals(session, list(enumerate(deals, start=2)), source="deals.csv")
    engine.dispose()
    with streamlit_app(tmp_path, {"ICP_DATABASE_URL": db_url}) as url:
        yield url


@pytest.fixture
def browser(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A headless Chromium with a new, empty profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1500,1100",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT_S)
    yield driver
    driver.quit()


def _save_screenshot(driver, tmp_path: Path, name: str) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    driver.save_screenshot(str(path))
    if ARTIFACTS:
        target = REPO / "artifacts" if ARTIFACTS.lower() in ("1", "true", "yes") else Path(ARTIFACTS)
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / name)
    return path


def test_create_a_segment_run_a_cycle_and_see_the_ranked_queue(server: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT_S)

    def element(css: str):  # type: ignore[no-untyped-def]
        return wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, css)))

    def page_shows(text: str) -> None:
        wait.until(lambda d: text in d.find_element(By.TAG_NAME, "body").text)

    def idle() -> None:
        # Streamlit marks the app "running" while a script run is in flight.
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-testid='stStatusWidget']"))

    browser.get(server)
    page_shows("No segments yet")
    # The shipped configuration: no Deploy button or developer menu for the people using the app.
    assert "Deploy" not in browser.find_element(By.TAG_NAME, "body").text

    name = element(".st-key-seg_name input")
    name.send_keys("US B2B SaaS", Keys.TAB)
    idle()
    requirements = element(".st-key-seg_requirements_field textarea")
    requirements.send_keys("- B2B SaaS company\n- Based in the United States")
    idle()
    nice = element(".st-key-seg_nice_to_haves_field textarea")
    nice.send_keys("- Uses Salesforce")
    nice.send_keys(Keys.CONTROL, Keys.ENTER)
    idle()
    page_shows("Who this draft would pick")  # the whole book graded offline before anything is saved
    page_shows("Backtest against 4 accounts with closed deals (2 won, 2 lost)")  # and against closed deals
    _save_screenshot(browser, tmp_path, "segment-preview.png")
    element(".st-key-seg_save button").click()
    page_shows("Created segment 'US B2B SaaS' (version 1).")

    element("[data-testid='stSidebarNav'] a[href$='/cycles']").click()
    element(".st-key-cy_estimate button").click()
    page_shows("To grade")
    element(".st-key-cy_run button").click()
    page_shows("Cycle #1 completed: 4 pairs, 4 graded")

    element("[data-testid='stSidebarNav'] a[href$='/queue']").click()
    page_shows("2 accounts from cycle #1")
    element(".st-key-q_open input").click()  # open the top account's evidence
    wait.until(ec.element_to_be_clickable((By.XPATH, "//*[@role='option'][contains(., '#1 Acme Cloud')]"))).click()
    page_shows("Score breakdown")
    shot = _save_screenshot(browser, tmp_path, "queue.png")
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_lint_appears_while_typing_and_the_field_keeps_focus(server: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Type a requirement key by key: its lint finding shows without leaving the field, caret where it was."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT_S, poll_frequency=0.02)
    browser.get(server)
    wait.until(lambda d: "No segments yet" in d.find_element(By.TAG_NAME, "body").text)
    field = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".st-key-seg_requirements_field textarea")))
    field.click()

    def type_and_time(keys: str, finding: str) -> float:
        """Type key by key; milliseconds from the last keystroke's input event to the finding in the page."""
        browser.execute_script(
            """
            const [field, finding] = arguments, timing = (window.icpTiming = {lastInput: null, shown: null});
            field.addEventListener("input", () => { timing.lastInput = performance.now(); });
            new MutationObserver((_, observer) => {
              if (!document.body.innerText.includes(finding)) return;
              timing.shown = performance.now();
              observer.disconnect();
            }).observe(document.body, {childList: true, subtree: true, characterData: true});
            """,
            field,
            finding,
        )
        for char in keys:
            field.send_keys(char)
            time.sleep(0.04)  # a fast typist: about 25 keys a second, each pause shorter than the debounce
        wait.until(lambda d: d.execute_script("return window.icpTiming.shown") is not None)
        timing = browser.execute_script("return window.icpTiming")
        return float(timing["shown"] - timing["lastInput"])

    typed = "- Big companies that could use our product"
    first = type_and_time(typed, "'Big companies that could use our product' is vague")
    assert browser.execute_script("return document.activeElement") == field  # never left the field
    assert browser.execute_script("return arguments[0].value", field) == typed
    assert browser.execute_script("return arguments[0].selectionStart", field) == len(typed)  # caret at the end

    # Keep typing after the page reran: nothing typed is lost, focus stays, and an error-level finding
    # (two headcounts that cannot both hold) shows with the 'Save anyway' confirmation.
    more = "\n- 10–50 employees\n- 5,000+ employees"
    second = type_and_time(more, "Save anyway")
    assert browser.execute_script("return document.activeElement") == field
    assert browser.execute_script("return arguments[0].value", field) == typed + more
    assert browser.execute_script("return arguments[0].selectionStart", field) == len(typed + more)
    print(f"lint shown {first:.0f} ms, then {second:.0f} ms, after the last keystroke (debounce 300 ms)")
    shot = _save_screenshot(browser, tmp_path, "segment-live-lint.png")
    assert shot.stat().st_size > 10_000
    # Scroll to the findings under the field and the confirmation (the page scrolls, the focus stays).
    browser.execute_script("document.querySelector('.st-key-seg_save').scrollIntoView({block: 'center'})")
    _save_screenshot(browser, tmp_path, "segment-live-lint-error.png")
    assert browser.execute_script("return document.activeElement") == field
