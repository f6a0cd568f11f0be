"""The HTTP side of the fake Salesforce: authentication, routing, fault injection and answers."""

from __future__ import annotations

import json
import re
import secrets
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from icp.testing._salesforce_org import USER_ID, ApiError, SfFailure

if TYPE_CHECKING:
    from icp.testing.fake_salesforce import FakeSalesforce

_DATA = re.compile(r"^/services/data/v(?P<version>\d+\.\d)(?P<rest>/.*)?$")
_SOAP_FIELD = r"<(?:\w+:)?{name}>(.*?)</(?:\w+:)?{name}>"
_NOT_FOUND_HTML = (
    "<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
    "<body><h1>Not Found</h1><p>The page you requested does not exist.</p></body></html>"
)


class FakeSalesforceHandler(BaseHTTPRequestHandler):
    """One HTTP request to the fake org."""

    protocol_version = "HTTP/1.1"
    server_version = "FakeSalesforce/1.0"

    @property
    def fake(self) -> FakeSalesforce:
        fake: FakeSalesforce = self.server.fake  # type: ignore[attr-defined]
        return fake

    def log_message(self, format: str, *args: Any) -> None:  # silence per-request stderr lines
        return

    # -- plumbing ------------------------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: Any, content_type: str = "application/json;charset=UTF-8") -> None:
        if isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if status < 300:
            used = self.fake.api_requests
            self.send_header("Sforce-Limit-Info", f"api-usage={used}/{self.fake.daily_max}")
        self.end_headers()
        if data:
            self.wfile.write(data)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PATCH(self) -> None:
        self._route("PATCH")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def _route(self, method: str) -> None:
        body = self._body()
        url = urlsplit(self.path)
        fake = self.fake
        if fake.not_salesforce:
            self._send(404, _NOT_FOUND_HTML, "text/html; charset=utf-8")
            return
        if method == "POST" and url.path == "/services/oauth2/token":
            self._token(body)
            return
        if method == "POST" and url.path.startswith("/services/Soap/u/"):
            self._soap_login(body)
            return
        if method == "GET" and url.path.rstrip("/") == "/services/oauth2/userinfo":
            if self.headers.get("Authorization", "").removeprefix("Bearer ") not in fake.sessions:
                self._send(403, "Bad_OAuth_Token", "text/plain")
                return
            info = {"user_id": USER_ID, "organization_id": "00DFAKE0000000001EAA", "preferred_username": fake.username}
            self._send(200, info)
            return
        match = _DATA.match(url.path)
        if match is None:
            self._send(404, _NOT_FOUND_HTML, "text/html; charset=utf-8")
            return
        if match["version"] != fake.api_version:
            self._send(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
            return
        rest = (match["rest"] or "/").rstrip("/") or "/"
        try:
            self._api(method, rest, url.path, parse_qs(url.query), body)
        except ApiError as exc:
            self._send(exc.status, exc.body)

    # -- authentication ------------------------------------------------------------------------------

    def _token(self, body: bytes) -> None:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        fake = self.fake
        if form.get("grant_type") != "client_credentials":
            self._send(400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"})
            return
        if form.get("client_id") != fake.client_id or form.get("client_secret") != fake.client_secret:
            self._send(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
            return
        session = f"00DFAKE0000000001!{secrets.token_urlsafe(24)}"
        with fake.lock:
            fake.sessions.add(session)
        answer = {
            "access_token": session,
            "instance_url": fake.url,
            "id": f"{fake.url}/id/00DFAKE0000000001EAA/005000000000001AAA",
            "token_type": "Bearer",
            "issued_at": "1700000000000",
            "signature": "fake",
        }
        self._send(200, answer)

    def _soap_login(self, body: bytes) -> None:
        text = body.decode()
        fake = self.fake
        username = _soap_value(text, "username")
        password = _soap_value(text, "password")
        if username != escape(fake.username) or password != escape(fake.password + fake.security_token):
            fault = (
                '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
                'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
                'xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>'
                "<faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, "
                "security token; or user locked out.</faultstring><detail><sf:LoginFault>"
                "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, "
                "security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail>"
                "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
            )
            self._send(500, fault, "text/xml;charset=UTF-8")
            return
        session = f"00DFAKE0000000001!{secrets.token_urlsafe(24)}"
        with fake.lock:
            fake.sessions.add(session)
        server_url = f"{fake.url}/services/Soap/u/{fake.api_version}/00DFAKE0000000001"
        answer = (
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com">'
            "<soapenv:Body><loginResponse><result><passwordExpired>false</passwordExpired>"
            f"<serverUrl>{server_url}</serverUrl><sessionId>{session}</sessionId>"
            "<userId>005000000000001AAA</userId></result></loginResponse></soapenv:Body></soapenv:Envelope>"
        )
        self._send(200, answer, "text/xml;charset=UTF-8")

    # -- REST API ------------------------------------------------------------------------------------

    def _api(self, method: str, rest: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
        fake = self.fake
        auth = self.headers.get("Authorization", "")
        with fake.lock:
            fake.log.append((method, path))
            if method != "GET":
                fake.writes.append((method, path))
            if auth.removeprefix("Bearer ") not in fake.sessions:
                raise ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")
            fake.api_requests += 1
            if rest != "/limits" and fake.daily_limit_exhausted:
                raise ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            failure = fake.failures.popleft() if fake.failures else None
        if failure is SfFailure.CONCURRENCY:
            raise ApiError(403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.")
        if failure is SfFailure.UNAVAILABLE:
            raise ApiError(503, "SERVER_UNAVAILABLE", "Server is temporarily unavailable. Please try again later.")
        parts = rest.strip("/").split("/")
        if method == "GET" and rest == "/limits":
            self._send(200, fake.limits())
        elif method == "GET" and len(parts) == 3 and parts[0] == "sobjects" and parts[2] == "describe":
            self._send(200, fake.describe(parts[1]))
        elif method == "GET" and parts[0] in ("query", "queryAll"):
            self._query(parts, query)
        elif method in ("POST", "PATCH") and rest == "/composite/sobjects":
            results = fake.collection(method, _json(body))
            self._send(200, results)
        elif method == "POST" and rest == "/tooling/sobjects/CustomField":
            self._send(201, fake.create_field(_json(body)))
        elif parts[0] == "jobs" and len(parts) > 1 and parts[1] == "ingest":
            self._bulk(method, parts[2:], body)
        else:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")

    def _query(self, parts: list[str], query: dict[str, list[str]]) -> None:
        fake = self.fake
        options = self.headers.get("Sforce-Query-Options", "")
        size_match = re.search(r"batchSize=(\d+)", options)
        size = int(size_match.group(1)) if size_match else None
        self._wait_if_hanging()
        if len(parts) == 1:
            soql = (query.get("q") or [""])[0]
            self._send(200, fake.query(soql, batch_size=size, all_rows=parts[0] == "queryAll"))
            return
        locator, _, offset = parts[1].rpartition("-")
        self._send(200, fake.query_more(locator, int(offset or 0), size or fake.page_size))

    def _wait_if_hanging(self) -> None:
        fake = self.fake
        with fake.lock:
            hang = fake.pages_before_hang == 0
            if hang:
                fake.pages_before_hang = None  # one request hangs; a resumed pull goes through
            elif fake.pages_before_hang is not None:
                fake.pages_before_hang -= 1
        if hang:
            fake.hanging.set()
            fake.released.wait()

    def _bulk(self, method: str, parts: list[str], body: bytes) -> None:
        fake = self.fake
        if method == "POST" and not parts:
            self._send(200, fake.create_job(_json(body)))
        elif method == "PUT" and len(parts) == 2 and parts[1] == "batches":
            fake.upload(parts[0], body.decode("utf-8"))
            self._send(201, b"")
        elif method == "PATCH" and len(parts) == 1:
            self._send(200, fake.set_job_state(parts[0], str(_json(body).get("state"))))
        elif method == "GET" and len(parts) == 1:
            self._send(200, fake.job(parts[0]))
        elif method == "GET" and len(parts) == 2 and parts[1] in ("failedResults", "successfulResults"):
            self._send(200, fake.results(parts[0], parts[1]), "text/csv")
        else:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except json.JSONDecodeError as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "Expected a JSON object")
    return value


def _soap_value(text: str, name: str) -> str | None:
    match = re.search(_SOAP_FIELD.format(name=name), text, re.DOTALL)
    return match.group(1) if match else None
