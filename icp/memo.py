"""Memoising by object identity: for values derived from one immutable object that is used many times.

A cycle grades each company against every segment in turn, and every company against a segment
version compiled once; hashing those pydantic models to look them up would cost as much as some of
the work saved. Keys are identities, so the memo holds a reference to each key object (an id cannot
be reused while it is held) and checks it on every hit. Memory is bounded by clearing when full:
the caller's access pattern (one company at a time) needs only the newest entries, and values that
die young cost the garbage collector little.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class IdentityMemo(Generic[K, V]):
    """``memo(obj)`` computes ``fn(obj)`` once per object while the object stays among the newest ``limit``.

    Safe to share between threads: a race computes a value twice and stores one of two equal values.
    """

    __slots__ = ("_fn", "_limit", "_entries")

    def __init__(self, fn: Callable[[K], V], limit: int) -> None:
        self._fn = fn
        self._limit = limit
        self._entries: dict[int, tuple[K, V]] = {}

    def __call__(self, key: K) -> V:
        entry = self._entries.get(id(key))
        if entry is not None and entry[0] is key:
            return entry[1]
        value = self._fn(key)
        if len(self._entries) >= self._limit:
            self._entries.clear()
        self._entries[id(key)] = (key, value)
        return value

    def clear(self) -> None:
        """Forget every entry (tests and benchmarks use it to measure first sight)."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
