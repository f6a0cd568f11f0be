"""The few SOQL statements the Salesforce adapter sends, parsed and evaluated for the fake Salesforce.

``SELECT f, ... FROM Object [WHERE cond] [ORDER BY f [, f ...]] [LIMIT n]`` where ``cond`` combines
``field op literal`` and ``field IN (literal, ...)`` with AND, OR and parentheses; ``op`` is one of
``= != < <= > >=``; literals are quoted strings (backslash escapes), numbers, ``true``/``false``/``null``,
dates (``2026-01-31``) and date-times (``2026-01-31T10:00:00.000Z``, ``+hh:mm`` offsets). Strings compare
case-insensitively, as Salesforce's do. Anything else raises :class:`SoqlError` (Salesforce's
``MALFORMED_QUERY``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

__all__ = ["Query", "SoqlError", "parse_query"]

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))"
    r"|(?P<date>\d{4}-\d{2}-\d{2})|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><=|>=|!=|=|<|>)|(?P<punct>[(),])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)

Row = dict[str, Any]
Predicate = Callable[[Row], bool]


class SoqlError(ValueError):
    """A statement the fake cannot parse: Salesforce answers ``MALFORMED_QUERY``."""


@dataclass(frozen=True)
class Query:
    """A parsed SELECT."""

    fields: list[str]
    sobject: str
    where: Predicate
    where_fields: list[str]
    order_by: list[str]
    limit: int | None


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise SoqlError(f"unexpected text at {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _literal(kind: str, raw: str) -> Any:
    if kind == "str":
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    if kind == "dt":
        text = raw.replace("Z", "+00:00")
        return datetime.fromisoformat(text).astimezone(UTC)
    if kind == "date":
        return date.fromisoformat(raw)
    if kind == "num":
        return float(raw)
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    raise SoqlError(f"expected a value, found {raw!r}")


def _comparable(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    left, right = _comparable(left), _comparable(right)
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if left is None or right is None:
        return False
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.fields_seen: list[str] = []

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if not token[0]:
            raise SoqlError("unexpected end of query")
        self.pos += 1
        return token

    def keyword(self, word: str) -> bool:
        kind, raw = self.peek()
        if kind == "word" and raw.upper() == word:
            self.pos += 1
            return True
        return False

    def expect(self, raw: str) -> None:
        if self.take()[1].upper() != raw:
            raise SoqlError(f"expected {raw}")

    def name(self) -> str:
        kind, raw = self.take()
        if kind != "word":
            raise SoqlError(f"expected a field name, found {raw!r}")
        return raw

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.keyword("OR"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.atom()]
        while self.keyword("AND"):
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def atom(self) -> Predicate:
        if self.peek() == ("punct", "("):
            self.take()
            inner = self.disjunction()
            self.expect(")")
            return inner
        field = self.name()
        self.fields_seen.append(field)
        if self.keyword("IN"):
            self.expect("(")
            values = [_literal(*self.take())]
            while self.peek() == ("punct", ","):
                self.take()
                values.append(_literal(*self.take()))
            self.expect(")")
            wanted = {_comparable(v) for v in values}
            return lambda row: _comparable(row.get(field)) in wanted
        kind, op = self.take()
        if kind != "op":
            raise SoqlError(f"expected an operator after {field}")
        value = _literal(*self.take())
        return lambda row: _compare(op, row.get(field), value)


def parse_query(text: str) -> Query:
    """Parse one SELECT statement of the subset described above."""
    parser = _Parser(_tokens(text))
    if not parser.keyword("SELECT"):
        raise SoqlError("a query starts with SELECT")
    fields = [parser.name()]
    while parser.peek() == ("punct", ","):
        parser.take()
        fields.append(parser.name())
    if not parser.keyword("FROM"):
        raise SoqlError("expected FROM")
    sobject = parser.name()
    where: Predicate = lambda row: True  # noqa: E731
    if parser.keyword("WHERE"):
        where = parser.disjunction()
    order_by: list[str] = []
    if parser.keyword("ORDER"):
        parser.expect("BY")
        order_by.append(parser.name())
        while parser.peek() == ("punct", ","):
            parser.take()
            order_by.append(parser.name())
    limit = None
    if parser.keyword("LIMIT"):
        kind, raw = parser.take()
        if kind != "num":
            raise SoqlError("LIMIT takes a number")
        limit = int(float(raw))
    if parser.peek()[0]:
        raise SoqlError(f"unexpected {parser.peek()[1]!r}")
    return Query(fields, sobject, where, parser.fields_seen, order_by, limit)
