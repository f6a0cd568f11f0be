"""Golden cases: the labelled examples every evaluator, prompt and model is measured against.

A suite is a folder ``evals/datasets/<suite>/`` of YAML files (or one file ``<suite>.yaml``). Each
file is a mapping with a ``cases`` list, an optional ``defaults`` mapping merged into every case
(``labelled_by``, ``tags``) and an optional ``segments`` mapping that only exists to hold YAML
anchors (``&dach_saas``) for segments several cases share. See ``evals/README.md`` for the format.

Every case is validated by :class:`GoldenCase`; a bad case is rejected with its file and line
(``evals/datasets/golden/geo.yaml:41: case geo-dach-01: expected.verdicts.R9: ...``).
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from icp.criteria import CompiledSegment, compile_segment, split_criteria
from icp.domain import CompanyProfile, CriterionKind, CriterionResult, Tier, Verdict
from icp.errors import InputError, NotFoundError
from icp.hashing import content_hash
from icp.scoring import score_grade

_CASE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

# Tags with a meaning the tooling relies on; any other tag is free-form.
CRITICAL_TAG = "critical"


class CaseSegment(BaseModel):
    """The segment a case grades against, written as the sales leader would write it.

    Requirements and nice-to-haves are lists (one criterion per entry: entry *i* is ``R<i>`` /
    ``N<i>``) or free text split exactly as the product splits it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    requirements: tuple[str, ...] = Field(min_length=1, description="One criterion per entry (R1, R2, ...).")
    nice_to_haves: tuple[str, ...] = Field(default=(), description="One criterion per entry (N1, N2, ...).")

    @field_validator("requirements", "nice_to_haves", mode="before")
    @classmethod
    def _text_or_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(split_criteria(value))
        return value

    @model_validator(mode="after")
    def _one_criterion_per_entry(self) -> CaseSegment:
        for label, entries in (("requirements", self.requirements), ("nice_to_haves", self.nice_to_haves)):
            for index, entry in enumerate(entries):
                clauses = split_criteria(entry)
                if len(clauses) != 1:
                    raise ValueError(
                        f"{label}[{index}] {entry!r} splits into {len(clauses)} criteria "
                        f"({clauses}); write one criterion per list entry"
                    )
        return self

    def compile(self) -> CompiledSegment:
        """The compiled segment, exactly as a cycle would compile it."""
        return compile_segment(self.name, "\n".join(self.requirements), "\n".join(self.nice_to_haves))


class CaseExpectation(BaseModel):
    """What a careful human answers for the case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    verdicts: dict[str, Verdict] = Field(description="Criterion id (R1.., N1..) -> met / not_met / unknown.")
    member: bool | None = Field(default=None, description="Member of the segment; default: from the verdicts.")
    tier: tuple[Tier, ...] | None = Field(
        default=None, description="Acceptable tiers (a band, e.g. [T1, T2]); default: the tier the verdicts score to."
    )

    @field_validator("tier", mode="before")
    @classmethod
    def _tier_band(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        return value


class GoldenCase(BaseModel):
    """One labelled example: a segment, a company snapshot and the true verdicts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Unique, stable, lower-case id, e.g. 'geo-dach-austria'.")
    description: str = ""
    segment: CaseSegment
    company: CompanyProfile
    expected: CaseExpectation
    tags: tuple[str, ...] = ()
    labelled_by: str = Field(min_length=1, description="Who labelled the case.")
    rationale: str = Field(min_length=1, description="Why the expected verdicts are right.")
    invariance_of: str | None = Field(
        default=None,
        description="Id of a case this one must grade identically to (criteria matched by text): "
        "a reordered, renamed or padded variant.",
    )

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _CASE_ID.match(value):
            raise ValueError(f"case id {value!r} must be lower-case letters, digits, '.', '_' or '-'")
        return value

    @field_validator("tags", mode="before")
    @classmethod
    def _unique_tags(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return tuple(dict.fromkeys(str(v) for v in value))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> GoldenCase:
        compiled = self.segment.compile()
        ids = [c.id for c in compiled.criteria]
        given = list(self.expected.verdicts)
        missing = [i for i in ids if i not in self.expected.verdicts]
        extra = [i for i in given if i not in ids]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if extra:
                parts.append(f"unknown {', '.join(extra)}")
            raise ValueError(
                f"expected.verdicts must name every criterion of the segment exactly once ({'; '.join(parts)}); "
                f"the segment compiles to {', '.join(ids)}"
            )
        tier = self.truth_tier
        member = tier.is_member
        if self.expected.member is not None and self.expected.member != member:
            raise ValueError(
                f"expected.member is {self.expected.member}, but the expected verdicts make the company "
                f"{'a member' if member else 'not a member'} (any requirement not_met disqualifies)"
            )
        if self.expected.tier is not None and tier not in self.expected.tier:
            band = ", ".join(t.value for t in self.expected.tier)
            raise ValueError(f"expected.tier [{band}] does not contain {tier.value}, the tier the verdicts score to")
        return self

    # -- derived -------------------------------------------------------------------------------------

    @property
    def compiled(self) -> CompiledSegment:
        """The compiled segment (cached by the compiler)."""
        return self.segment.compile()

    @property
    def truth_results(self) -> tuple[CriterionResult, ...]:
        """The expected verdicts as criterion results (for scoring)."""
        return tuple(
            CriterionResult(id=c.id, kind=c.kind, text=c.text, verdict=self.expected.verdicts[c.id])
            for c in self.compiled.criteria
        )

    @property
    def truth_tier(self) -> Tier:
        """The tier the expected verdicts score to under the default policy."""
        return score_grade(self.truth_results).tier

    @property
    def expected_member(self) -> bool:
        """Whether the company truly belongs to the segment."""
        return self.truth_tier.is_member

    @property
    def expected_tiers(self) -> tuple[Tier, ...]:
        """The acceptable tier band."""
        return self.expected.tier or (self.truth_tier,)

    @property
    def critical(self) -> bool:
        """A critical case may never break (the gate fails on it)."""
        return CRITICAL_TAG in self.tags

    def expected_by_text(self) -> dict[str, Verdict]:
        """Expected verdicts keyed by ``kind:text`` (how invariance variants are matched)."""
        return {criterion_key(c.kind, c.text): self.expected.verdicts[c.id] for c in self.compiled.criteria}


def criterion_key(kind: CriterionKind | str, text: str) -> str:
    """How criteria of two invariance variants are matched: by kind and normalised text, not by id."""
    kind_value = kind.value if isinstance(kind, CriterionKind) else kind
    return f"{kind_value}:{' '.join(text.lower().split())}"


class Suite(BaseModel):
    """A loaded, validated suite of golden cases."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    cases: tuple[GoldenCase, ...]
    files: tuple[str, ...] = ()

    @property
    def dataset_hash(self) -> str:
        """Content hash of every case (order-independent): two runs with equal hashes saw the same data."""
        return content_hash(sorted((c.model_dump(mode="json") for c in self.cases), key=lambda d: d["id"]))

    def case(self, case_id: str) -> GoldenCase | None:
        """A case by id."""
        return next((c for c in self.cases if c.id == case_id), None)

    def sliced(self, patterns: str | None = None, limit: int | None = None) -> Suite:
        """The cases whose id matches one of ``patterns`` (comma-separated globs), at most ``limit`` of them.

        A slice is a suite of its own (its dataset hash differs), so comparing it with a full run pairs
        only the shared cases.

        Raises:
            InputError: no case matches the patterns.
        """
        cases = self.cases
        if patterns:
            globs = [p.strip() for p in patterns.split(",") if p.strip()]
            cases = tuple(c for c in cases if any(fnmatch.fnmatchcase(c.id, g) for g in globs))
            if not cases:
                raise InputError(
                    f"No case of suite {self.name} matches --cases {patterns!r}; case ids look like "
                    f"{', '.join(c.id for c in self.cases[:3])}. Use * and ? as wildcards, commas between patterns."
                )
        if limit is not None:
            cases = cases[:limit]
        return self.model_copy(update={"cases": cases})

    def tag_counts(self) -> dict[str, int]:
        """How many cases carry each tag."""
        counts = Counter(tag for case in self.cases for tag in case.tags)
        return dict(sorted(counts.items()))


class CaseProblem(BaseModel):
    """One reason a case file was rejected."""

    path: str
    line: int
    case_id: str | None = None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return f"{where}: case {self.case_id}: {self.message}" if self.case_id else f"{where}: {self.message}"


class CaseFileError(InputError):
    """One or more golden cases are invalid; every problem names its file and line."""

    def __init__(self, problems: Sequence[CaseProblem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"  {p}" for p in self.problems[:50])
        more = f"\n  ... and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
        super().__init__(f"{len(self.problems)} problem(s) in the golden cases:\n{shown}{more}")


# -- loading ---------------------------------------------------------------------------------------


def default_evals_root() -> Path:
    """``./evals`` when the working directory has one, else the ``evals/`` folder of this checkout."""
    local = Path("evals")
    if (local / "datasets").is_dir():
        return local
    return Path(__file__).resolve().parents[2] / "evals"


def suite_paths(suite: str, root: Path | None = None) -> tuple[str, list[Path]]:
    """Resolve a suite name or path to its name and YAML files (sorted)."""
    given = Path(suite)
    if given.suffix in (".yaml", ".yml") and given.is_file():
        return given.stem, [given]
    if given.is_dir() and given.parts and len(given.parts) > 1:
        return given.name, sorted([*given.glob("*.yaml"), *given.glob("*.yml")])
    datasets = (root or default_evals_root()) / "datasets"
    folder = datasets / suite
    if folder.is_dir():
        files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
        if files:
            return suite, files
    for suffix in (".yaml", ".yml"):
        single = datasets / f"{suite}{suffix}"
        if single.is_file():
            return suite, [single]
    known = sorted({p.stem for p in datasets.glob("*") if p.is_dir() or p.suffix in (".yaml", ".yml")})
    raise NotFoundError(
        f"No eval suite {suite!r} in {datasets}: expected a folder {folder} of YAML files or {folder}.yaml. "
        f"Available: {', '.join(known) or 'none'}."
    )


def load_suite(suite: str, root: Path | None = None) -> Suite:
    """Load and validate a suite by name (``golden``) or path.

    Raises:
        NotFoundError: no such suite.
        CaseFileError: any case is invalid, ids repeat, or an ``invariance_of`` target is missing or disagrees.
    """
    name, files = suite_paths(suite, root)
    cases: list[GoldenCase] = []
    where: dict[str, tuple[str, int]] = {}
    problems: list[CaseProblem] = []
    for path in files:
        loaded, file_problems = parse_case_file(path.read_text(encoding="utf-8"), source=str(path))
        problems.extend(file_problems)
        for case, line in loaded:
            if case.id in where:
                first = where[case.id]
                problems.append(
                    CaseProblem(
                        path=str(path),
                        line=line,
                        case_id=case.id,
                        message=f"duplicate case id; first defined at {first[0]}:{first[1]}",
                    )
                )
                continue
            where[case.id] = (str(path), line)
            cases.append(case)
    problems.extend(_invariance_problems(cases, where))
    if problems:
        raise CaseFileError(problems)
    return Suite(name=name, cases=tuple(cases), files=tuple(str(p) for p in files))


def _invariance_problems(cases: Iterable[GoldenCase], where: dict[str, tuple[str, int]]) -> list[CaseProblem]:
    by_id = {c.id: c for c in cases}
    problems = []
    for case in by_id.values():
        if case.invariance_of is None:
            continue
        path, line = where[case.id]
        base = by_id.get(case.invariance_of)
        if base is None:
            problems.append(
                CaseProblem(path=path, line=line, case_id=case.id, message=f"invariance_of {case.invariance_of!r} "
                            "names no case in the suite")
            )  # fmt: skip
            continue
        mine, theirs = case.expected_by_text(), base.expected_by_text()
        if set(mine) != set(theirs):
            problems.append(
                CaseProblem(
                    path=path,
                    line=line,
                    case_id=case.id,
                    message=f"an invariance variant must have the same criteria (by text) as {base.id}",
                )
            )
        elif mine != theirs:
            differing = sorted(k for k in mine if mine[k] != theirs[k])
            problems.append(
                CaseProblem(
                    path=path,
                    line=line,
                    case_id=case.id,
                    message=f"expected verdicts differ from {base.id} for {differing}; an invariance variant "
                    "must expect the same verdicts",
                )
            )
    return problems


def parse_case_file(text: str, *, source: str = "<cases>") -> tuple[list[tuple[GoldenCase, int]], list[CaseProblem]]:
    """Parse one YAML case file: the valid cases with their line numbers, and the problems found."""
    try:
        root_node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return [], [CaseProblem(path=source, line=line, message=f"not valid YAML: {exc}")]
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        return [], [CaseProblem(path=source, line=1, message="a case file is a mapping with a 'cases' list")]
    unknown = sorted(set(data) - {"cases", "defaults", "segments"})
    problems: list[CaseProblem] = []
    if unknown:
        problems.append(
            CaseProblem(path=source, line=1, message=f"unknown top-level key(s) {unknown}; allowed: cases, defaults, "
                        "segments")
        )  # fmt: skip
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        return [], [CaseProblem(path=source, line=1, message="'defaults' must be a mapping")]
    cases_node = _child(root_node, "cases")
    items = cases_node.value if isinstance(cases_node, yaml.SequenceNode) else []
    out: list[tuple[GoldenCase, int]] = []
    for index, raw in enumerate(data["cases"]):
        node = items[index] if index < len(items) else None
        line = node.start_mark.line + 1 if node is not None else 1
        if not isinstance(raw, dict):
            problems.append(CaseProblem(path=source, line=line, message="each case must be a mapping"))
            continue
        case_id = str(raw.get("id")) if raw.get("id") is not None else None
        merged = {**{k: v for k, v in defaults.items() if k != "tags"}, **raw}
        if "tags" in defaults:
            merged["tags"] = [*(defaults.get("tags") or []), *(raw.get("tags") or [])]
        try:
            out.append((GoldenCase.model_validate(merged), line))
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = tuple(error["loc"])
                field_node = _node_at(node, loc)
                at = field_node.start_mark.line + 1 if field_node is not None else line
                location = ".".join(str(p) for p in loc)
                message = str(error["msg"]).removeprefix("Value error, ")
                problems.append(
                    CaseProblem(
                        path=source, line=at, case_id=case_id, message=f"{location}: {message}" if location else message
                    )
                )
    return out, problems


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == str(key):
                return value_node  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return node.value[key]  # type: ignore[no-any-return]
    return None


def _node_at(node: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """The deepest YAML node along a pydantic error location (the case node when nothing matches)."""
    current = node
    for part in loc:
        nxt = _child(current, part)
        if nxt is None:
            break
        current = nxt
    return current


def dump_cases(cases: Sequence[GoldenCase], *, header: str = "") -> str:
    """Serialise cases to the YAML case-file format (used for candidate cases from feedback)."""
    payload = {"cases": [_case_for_yaml(c) for c in cases]}
    body = yaml.safe_dump(payload, sort_keys=False, allow_unicode=True, width=110)
    return (header + "\n" if header else "") + body


def _case_for_yaml(case: GoldenCase) -> dict[str, Any]:
    data = case.model_dump(mode="json", exclude_none=True)
    data["company"] = {k: v for k, v in data["company"].items() if v not in (None, [], "")}
    data["segment"] = {k: v for k, v in data["segment"].items() if v not in ([], ())}
    if not case.tags:
        data.pop("tags", None)
    if not case.description:
        data.pop("description", None)
    return data
