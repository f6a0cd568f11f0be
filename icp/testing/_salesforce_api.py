"""Salesforce's error shapes, shared by the fake org's modules."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Salesforce error response: HTTP status and the error array."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = [{"message": message, "errorCode": code, "fields": fields or []}]


def record_error(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    """A per-record error of a Collections result or a bulk job."""
    return {"statusCode": code, "message": message, "fields": fields or []}
