"""Tier-change alerts posted to webhooks after a cycle, against local HTTP receivers started by the test."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from icp.alerts import AlertChange, Digest, slack_body
from icp.samples import COMPANIES_FILE
from tests.inprocess import Ran, run_icp


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records what it was sent and answers with scripted statuses."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/secret-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for receiver in made:
        receiver.close()


def icp(db: Path, *args: str, webhooks: str = "", check: bool = True) -> Ran:
    return run_icp(db, *args, env={"ICP_ALERT_WEBHOOKS": webhooks}, check=check)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "alerts.db"
    icp(path, "companies", "import", str(COMPANIES_FILE))
    icp(
        path, "segments", "add", "--name", "EU Fintech", "--requirements",
        "Fintech company\nHeadquartered in Europe\n200 to 2,000 employees", "--nice-to-haves", "Uses Salesforce",
    )  # fmt: skip
    icp(path, "motions", "add", "--name", "EU push", "--segment", "EU Fintech")
    icp(path, "cycle", "run")
    return path


def _change_two_accounts(db: Path, tmp_path: Path) -> tuple[str, str]:
    """One unverified account is confirmed into T1; one T1 account shrinks out of the segment."""
    queue = json.loads(icp(db, "queue", "--segment", "EU Fintech", "-n", "0", "-f", "json").stdout)
    rising = next(e for e in queue if e["status"] == "unverified" and e["fit_score"] >= 80)["domain"]
    falling = next(e for e in queue if e["tier"] == "T1")
    icp(db, "verdicts", "confirm", rising, "-s", "EU Fintech", "-c", "R1", "-v", "met", "-a", "dana")
    shrunk = tmp_path / "shrunk.csv"
    shrunk.write_text(f"domain,name,employees\n{falling['domain']},{falling['company_name']},12\n", encoding="utf-8")
    icp(db, "companies", "import", str(shrunk))
    return rising, falling["domain"]


def test_a_cycle_posts_one_digest_per_motion_with_what_flipped(db: Path, tmp_path: Path, receivers: list) -> None:
    slack, generic = Receiver(), Receiver()
    receivers.extend([slack, generic])
    rising, falling = _change_two_accounts(db, tmp_path)
    hooks = json.dumps([{"url": slack.url}, {"url": generic.url, "format": "json", "motion": "EU push"}])
    out = icp(db, "cycle", "run", webhooks=hooks)
    assert "Alerts: 2 of 2 digests delivered." in out.stderr
    [body] = generic.bodies
    assert body["event"] == "icp.tier_changes" and body["motion"] == "EU push"
    kinds = {c["domain"]: c["kind"] for c in body["changes"]}
    assert kinds[rising] == "entered T1" and kinds[falling] == "left"
    entered = next(c for c in body["changes"] if c["domain"] == rising)
    assert entered["why"].startswith("R1 Fintech company: unknown → met (confirmed by a person)")
    [message] = slack.bodies
    assert "Entered T1" in json.dumps(message) and "secret-token" not in out.stderr  # the URL's token stays secret


def test_a_failing_webhook_is_retried_and_never_fails_the_cycle(db: Path, tmp_path: Path, receivers: list) -> None:
    down = Receiver(statuses=[503, 503, 503])
    receivers.append(down)
    _change_two_accounts(db, tmp_path)
    out = icp(db, "cycle", "run", webhooks=down.url)
    assert out.returncode == 0
    assert len(down.bodies) == 3  # three attempts
    assert "0 of 1 digests delivered" in out.stderr and "failed (HTTP 503, 3 attempts)" in out.stderr
    assert "the cycle itself is unaffected" in out.stderr
    assert json.loads(icp(db, "cycle", "history", "-f", "json").stdout)[0]["status"] == "completed"


def test_alerts_test_sends_a_sample_and_says_what_each_webhook_answered(tmp_path: Path, receivers: list) -> None:
    ok, refusing = Receiver(), Receiver(statuses=[404])
    receivers.extend([ok, refusing])
    db = tmp_path / "t.db"
    out = icp(db, "alerts", "test", webhooks=f"{ok.url},{refusing.url}", check=False)
    assert out.returncode == 1
    assert f"✓ http://127.0.0.1:{ok.server.server_port} (slack): HTTP 200" in out.stdout
    assert "✗" in out.stdout and "HTTP 404" in out.stdout
    assert len(refusing.bodies) == 1  # a 4xx is not retried
    assert "Example Co (test alert)" in json.dumps(ok.bodies[0])
    none = icp(db, "alerts", "test", check=False)
    assert none.returncode == 1 and "ICP_ALERT_WEBHOOKS" in none.stderr


def test_slack_text_never_turns_company_data_into_links_or_mentions() -> None:
    change = AlertChange(
        kind="entered T1", segment="S", company_name="<https://evil.example|Click> <!channel> & co",
        domain="x.io", from_tier="T2", to_tier="T1", from_status="qualified", to_status="qualified", score=90, why="",
    )  # fmt: skip
    text = json.dumps(slack_body(Digest(cycle_id=1, motion="M", owner="o", changes=[change])))
    assert "<https://evil" not in text and "<!channel>" not in text
    assert "&lt;!channel&gt; &amp; co" in text
