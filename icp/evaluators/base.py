"""The evaluator seam: one method, ``grade``. Adapters (offline rules, LLM, hybrid) implement it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar, runtime_checkable

from icp.concurrency import map_unordered
from icp.criteria import CompiledSegment
from icp.domain import CompanyProfile, EvaluatorIdentity, Grade
from icp.hashing import HASH_PREFIX

K = TypeVar("K")


@runtime_checkable
class Evaluator(Protocol):
    """Grades one company against one compiled segment.

    ``grade`` must not raise for a failure of the pair itself (a provider error, unusable output):
    it returns a ``Grade`` with ``status="failed"`` and a readable ``error`` so the cycle can go on.
    Implementations must be safe to call from several threads at once.
    """

    @property
    def identity(self) -> EvaluatorIdentity:
        """What produces the grades (evaluator, model, prompt id and hash); part of the input hash."""
        ...

    def grade(self, company: CompanyProfile, segment: CompiledSegment) -> Grade:
        """Grade ``company`` against every criterion of ``segment``."""
        ...


def grade_input_hash(company_hash: str, segment_version_hash: str, identity: EvaluatorIdentity) -> str:
    """The key under which a grade is stored and reused: same inputs, same grade, no second payment.

    Computed for every pair of every cycle, so it hashes a joined string rather than canonical JSON:
    the parts are themselves hashes or identifiers that never contain the separator.
    """
    parts = (company_hash, segment_version_hash, identity.evaluator, identity.model or "", identity.prompt_hash or "")
    return HASH_PREFIX + hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=16).hexdigest()


def grade_pairs(
    evaluator: Evaluator,
    pairs: Iterable[tuple[K, CompanyProfile, CompiledSegment]],
    *,
    concurrency: int = 1,
) -> Iterator[tuple[K, Grade]]:
    """Grade many pairs, yielding ``(key, grade)`` as each completes (not in input order).

    At most ``concurrency`` grades run at once and at most ``2 * concurrency`` are queued, so a
    million pairs never sit in memory and a consumer that stops early leaves little work in flight.
    With ``concurrency=1`` everything runs in the calling thread.
    """
    for (key, _, _), grade in map_unordered(
        lambda pair: evaluator.grade(pair[1], pair[2]), pairs, concurrency=concurrency, thread_name_prefix="icp-grade"
    ):
        yield key, grade
