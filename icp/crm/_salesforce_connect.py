"""Connecting to Salesforce and reading its failures: logins, the HTTP session, and errors as CrmError.

Logins. simple-salesforce's own login helpers build their URLs from ``domain`` as
``https://{domain}.salesforce.com``, which can only ever reach salesforce.com. icp instead sends each login
to the URL the user configured, still through the SDK's own login functions:

- an access token (``ICP_SALESFORCE_ACCESS_TOKEN``) is handed to ``Salesforce(instance_url=, session_id=)``;
- a connected app's client credentials are exchanged at ``{instance_url}/services/oauth2/token`` with
  ``simple_salesforce.login.token_login`` (Salesforce only serves the client-credentials flow on the org's
  My Domain URL anyway);
- a username, password and security token log in through ``SalesforceLogin``'s SOAP login, at
  ``https://{ICP_SALESFORCE_DOMAIN}.salesforce.com`` when a domain is set (``login``, ``test``, ``acme.my``),
  else at the instance URL (its ``scratch_url`` argument, which the SDK provides for logins to a given host).

The resulting session id then goes to ``Salesforce(instance=, session_id=)``, so a local test server is
reached through the same settings a user sets, and no SDK method is replaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError, SalesforceOperationError
from simple_salesforce.login import SalesforceLogin, token_login

from icp.crm._provider import CrmError
from icp.redact import redact
from icp.settings import Settings

PERMISSIONS_HINT = (
    "The integration user needs the 'API Enabled' permission, Read on Account and Opportunity, Edit on Account "
    "and Create on Task (a profile or permission set); 'Customize Application' only for --create-fields."
)
_FIELDS_HINT = (
    "A field icp reads or writes is missing or hidden from this user: create the ICP_*__c fields "
    "(icp crm push salesforce --create-fields, or by hand as icp crm push salesforce --dry-run lists them) "
    "and give the integration user field-level security (Visible and Editable) on them."
)
_INSTANCE_HINT = (
    "ICP_SALESFORCE_INSTANCE_URL must be your org's My Domain URL (Setup > My Domain), "
    "e.g. https://acme.my.salesforce.com."
)
_CONFIG_HINT = (
    "Set ICP_SALESFORCE_INSTANCE_URL and one of: ICP_SALESFORCE_CLIENT_ID + ICP_SALESFORCE_CLIENT_SECRET (a "
    "connected app with the client-credentials flow), ICP_SALESFORCE_USERNAME + ICP_SALESFORCE_PASSWORD + "
    "ICP_SALESFORCE_SECURITY_TOKEN, or ICP_SALESFORCE_ACCESS_TOKEN."
)


class SalesforceApiError(CrmError):
    """A CrmError that keeps Salesforce's ``errorCode`` and the HTTP status, for callers that branch on them."""

    def __init__(self, message: str, *, code: str, status: int, hint: str = "", retryable: bool = False) -> None:
        super().__init__(message, hint=hint, retryable=retryable)
        self.code = code
        self.status = status


class TransportError(CrmError):
    """No answer at all (connection refused, reset, timed out): resending a create may duplicate it."""


class SalesforceSession(requests.Session):
    """The HTTP session every Salesforce call goes through: a default timeout, and the configured CA bundle.

    requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override a session's ``verify``; a bundle the user
    configured for Salesforce explicitly (``ICP_SALESFORCE_CA_BUNDLE``) wins here instead.
    """

    def __init__(self, *, timeout_s: float, ca_bundle: str | None) -> None:
        super().__init__()
        self.timeout_s = timeout_s
        self.ca_bundle = ca_bundle
        if ca_bundle:
            self.verify = ca_bundle

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> dict[str, Any]:
        settings: dict[str, Any] = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if self.ca_bundle and verify in (None, True):
            settings["verify"] = self.ca_bundle
        return settings

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout_s)
        return super().request(method, url, *args, **kwargs)


def instance_of(settings: Settings) -> str:
    """The configured instance URL, normalised to ``https://host[:port]``; "" when unset."""
    raw = (settings.salesforce_instance_url or "").strip().rstrip("/")
    if not raw:
        return ""
    if "://" not in raw:
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    if parts.scheme != "https" or not parts.hostname:
        raise CrmError(
            f"ICP_SALESFORCE_INSTANCE_URL must be an https:// URL, not {redact(raw)!r}.", hint=_INSTANCE_HINT
        )
    if parts.hostname.endswith(".lightning.force.com"):
        mine = parts.hostname.removesuffix(".lightning.force.com")
        raise CrmError(
            f"{parts.hostname} is the Lightning app, not the API: use https://{mine}.my.salesforce.com.",
            hint=_INSTANCE_HINT,
        )
    return f"https://{parts.netloc.rpartition('@')[2]}"


def login_for(settings: Settings, session: requests.Session) -> Callable[[], Salesforce]:
    """A function that logs in (when needed) and returns a ready client; raises CrmError when unconfigured."""
    instance = instance_of(settings)
    version = settings.salesforce_api_version.removeprefix("v")
    token = settings.salesforce_access_token
    client_id, client_secret = settings.salesforce_client_id, settings.salesforce_client_secret
    username, password = settings.salesforce_username, settings.salesforce_password
    security_token = settings.salesforce_security_token
    # "login", "test" or a My Domain prefix ("acme.my"), as simple-salesforce takes it; forgiving a full URL
    given = (settings.salesforce_domain or "").strip().split("://")[-1].rstrip("/").removesuffix(".salesforce.com")
    domain = given or None
    if token is not None:
        if not instance:
            raise CrmError("ICP_SALESFORCE_ACCESS_TOKEN needs ICP_SALESFORCE_INSTANCE_URL.", hint=_INSTANCE_HINT)
        secret = token.get_secret_value()
        return lambda: Salesforce(instance_url=instance, session_id=secret, version=version, session=session)
    if client_id and client_secret is not None:
        if not instance:
            raise CrmError("The client-credentials login needs ICP_SALESFORCE_INSTANCE_URL.", hint=_INSTANCE_HINT)
        data = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret.get_secret_value(),
        }

        def client_credentials() -> Salesforce:
            session_id, host = token_login(
                f"{instance}/services/oauth2/token", data, "", client_id, None, None, session
            )
            return Salesforce(instance=host, session_id=session_id, version=version, session=session)

        return client_credentials
    if username and password is not None and security_token is not None:
        if not instance and not domain:
            raise CrmError("The username/password login needs ICP_SALESFORCE_INSTANCE_URL.", hint=_INSTANCE_HINT)

        def password_login() -> Salesforce:
            session_id, host = SalesforceLogin(
                username=username,
                password=password.get_secret_value(),
                security_token=security_token.get_secret_value(),
                sf_version=version,
                session=session,
                domain=domain,
                scratch_url=None if domain else instance,
            )
            return Salesforce(instance=host, session_id=session_id, version=version, session=session)

        return password_login
    raise CrmError("Salesforce is not configured.", hint=_CONFIG_HINT)


def _first_error(content: Any) -> tuple[str, str]:
    """(errorCode, message) of a Salesforce error body; ("", "") when it is not one (an HTML page)."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        return str(first.get("errorCode") or first.get("statusCode") or ""), str(first.get("message") or "")
    if isinstance(content, dict):
        return str(content.get("errorCode") or content.get("error") or ""), str(
            content.get("message") or content.get("error_description") or ""
        )
    return "", ""


def _short(text: str, limit: int = 300) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return redact(text if len(text) <= limit else text[: limit - 1] + "…")


def translate(exc: Exception, host: str) -> CrmError:
    """One readable CrmError for anything simple-salesforce or requests raised (never a secret in it)."""
    if isinstance(exc, SalesforceAuthenticationFailed):
        return _login_error(str(exc.code or ""), exc.auth_message, host)
    if isinstance(exc, SalesforceError):
        code, message = _first_error(exc.content)
        return _api_error(exc.status, code, _short(message), host)
    if isinstance(exc, SalesforceOperationError):  # a Bulk API 2.0 job that failed as a whole
        said = _short(str(exc).removeprefix("Job failure. Response content: "))
        return SalesforceApiError(
            f"Salesforce's bulk job failed ({said}).",
            code="BULK_JOB_FAILED",
            status=0,
            hint="Nothing in that job was written; check the fields exist and are editable, then push again.",
        )
    if isinstance(exc, requests.exceptions.InvalidJSONError):
        return TransportError(
            f"{host} answered with something other than Salesforce's JSON (a proxy or sign-in page?).",
            hint=_INSTANCE_HINT,
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return TransportError(
            f"The TLS certificate of {host} is not trusted.",
            hint="If a proxy inspects TLS, point ICP_SALESFORCE_CA_BUNDLE at its certificate authority (PEM). "
            + _INSTANCE_HINT,
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return TransportError(
            f"{host} did not answer in time.", hint="Try again; Salesforce may be slow.", retryable=True
        )
    if isinstance(exc, requests.exceptions.RequestException):
        # Refused connections and unknown hosts are settings, not weather: retrying only delays the answer.
        said = str(exc).lower()
        settled = any(
            s in said for s in ("refused", "name or service not known", "nodename nor servname", "getaddrinfo")
        )
        return TransportError(f"Cannot reach Salesforce at {host}.", hint=_INSTANCE_HINT, retryable=not settled)
    raise exc


def _login_error(code: str, message: str, host: str) -> CrmError:
    if code.isdigit() or (not code and message.lstrip().startswith("<")):
        # not a Salesforce answer at all: the SDK passes on the HTTP status (or nothing) and the page
        said = f"HTTP {code}" if code else "a web page"
        return SalesforceApiError(
            f"The login at {host} answered {said}, not a Salesforce login response.",
            code=code,
            status=int(code) if code else 0,
            hint=_INSTANCE_HINT,
        )
    said = f"{code}: {_short(message)}" if message else code
    if code in ("invalid_client", "invalid_client_id", "unsupported_grant_type", "invalid_grant"):
        hint = (
            "Check ICP_SALESFORCE_CLIENT_ID and ICP_SALESFORCE_CLIENT_SECRET (the connected app's consumer key and "
            "secret); the app needs 'Enable Client Credentials Flow' with a Run As user, and "
            "ICP_SALESFORCE_INSTANCE_URL must be the org's My Domain URL."
        )
    elif code == "INVALID_LOGIN":
        hint = (
            "Check ICP_SALESFORCE_USERNAME, ICP_SALESFORCE_PASSWORD and ICP_SALESFORCE_SECURITY_TOKEN (reset it under "
            "your personal settings: Reset My Security Token); a sandbox needs ICP_SALESFORCE_DOMAIN=test."
        )
    else:
        hint = _CONFIG_HINT
    return SalesforceApiError(f"Salesforce refused the login at {host} ({said}).", code=code, status=401, hint=hint)


def _api_error(status: int, code: str, message: str, host: str) -> SalesforceApiError:
    said = f"{code}: {message}" if code else f"HTTP {status}"
    if status == 401 or code == "INVALID_SESSION_ID":
        return SalesforceApiError(
            f"Salesforce did not accept the session ({said}): the access token expired, was revoked or belongs to "
            "another org.",
            code=code,
            status=status,
            hint="Configure ICP_SALESFORCE_CLIENT_ID/ICP_SALESFORCE_CLIENT_SECRET or ICP_SALESFORCE_USERNAME/"
            "PASSWORD/SECURITY_TOKEN so icp logs in itself, or set a fresh ICP_SALESFORCE_ACCESS_TOKEN.",
        )
    if code == "REQUEST_LIMIT_EXCEEDED" and "TotalRequests" in message:
        return SalesforceApiError(
            f"The org's daily Salesforce API request limit is used up ({said}).",
            code=code,
            status=status,
            hint="Salesforce counts it over a rolling 24 hours (Setup > System Overview shows the use). Try again "
            "later or ask your Salesforce admin for a higher limit; an interrupted pull resumes where it stopped.",
        )
    if code == "REQUEST_LIMIT_EXCEEDED":
        return SalesforceApiError(
            f"Salesforce is refusing requests for now ({said}).",
            code=code,
            status=status,
            retryable=True,
            hint="Too many long-running requests are in flight in the org; try again in a few minutes.",
        )
    if status >= 500:
        return SalesforceApiError(
            f"Salesforce is unavailable ({said}).",
            code=code,
            status=status,
            retryable=True,
            hint="icp retried with backoff; try again later (status.salesforce.com lists incidents).",
        )
    if status == 404 and not code:
        return SalesforceApiError(
            f"{host} answered 404 with a web page: it is not a Salesforce REST API.",
            code=code,
            status=status,
            hint=_INSTANCE_HINT,
        )
    if status == 404:
        return SalesforceApiError(
            f"Salesforce has no such resource ({said}).",
            code=code,
            status=status,
            hint="Set ICP_SALESFORCE_API_VERSION to a version your org serves (e.g. 62.0). " + _INSTANCE_HINT,
        )
    if code == "INVALID_FIELD":
        return SalesforceApiError(f"Salesforce rejected a field ({said}).", code=code, status=status, hint=_FIELDS_HINT)
    if status == 403 or code.startswith(("INSUFFICIENT_ACCESS", "API_DISABLED", "API_CURRENTLY_DISABLED")):
        return SalesforceApiError(
            f"Salesforce refused the request ({said}).", code=code, status=status, hint=PERMISSIONS_HINT
        )
    if code == "INVALID_TYPE":
        return SalesforceApiError(
            f"Salesforce does not let this user read an object ({said}).",
            code=code,
            status=status,
            hint=PERMISSIONS_HINT,
        )
    return SalesforceApiError(
        f"Salesforce rejected a request ({said}).",
        code=code,
        status=status,
        hint="If it persists, report it with this message.",
    )
