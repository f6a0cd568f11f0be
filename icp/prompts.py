"""Prompt files: load ``prompts/<name>/vN.md`` (YAML front matter + template), render strictly, hash.

A prompt file is immutable once merged: a change is a new version ``vN+1``. Every grade records the
prompt id (``grade_company@v1``) and the prompt's content hash, so a stored grade says exactly which
words produced it, and a changed prompt never silently reuses grades made with the old one.

The template body is split into chat messages by marker lines ``<!-- role: system -->`` and
``<!-- role: user -->``. Placeholders use :class:`string.Template` syntax (``$name``; a literal dollar
is ``$$``). Rendering fails on a missing or unexpected variable instead of sending a half-filled prompt.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from icp.errors import ConfigError
from icp.hashing import content_hash

Role = Literal["system", "user", "assistant"]

_ROLE_MARKER = re.compile(r"^<!--\s*role:\s*(system|user|assistant)\s*-->\s*$", re.MULTILINE)
_REF = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)(?:@v(?P<version>\d+))?$")
_VERSION_FILE = re.compile(r"^v(\d+)\.md$")


class PromptMessage(BaseModel):
    """One chat message of a prompt template, before rendering."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    template: str = Field(description="string.Template text with $placeholders.")


class RenderedMessage(BaseModel):
    """One chat message ready to send."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    content: str

    def to_openai(self) -> dict[str, str]:
        """The message as the chat completions API expects it."""
        return {"role": self.role, "content": self.content}


class PromptTemplate(BaseModel):
    """A versioned prompt: front matter plus message templates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Prompt name, e.g. 'grade_company'; the file lives in prompts/<id>/.")
    version: int = Field(ge=1)
    description: str = ""
    model: str = Field(description="Default model the prompt was written and evaluated for.")
    temperature: float = Field(default=0.0, ge=0, le=2)
    response_model: str = Field(description="Dotted path of the pydantic model the answer is parsed into.")
    variables: tuple[str, ...] = Field(description="Every placeholder the template uses; all are required.")
    messages: tuple[PromptMessage, ...] = Field(min_length=1)

    @property
    def ref(self) -> str:
        """The id recorded with every grade: ``grade_company@v1``."""
        return f"{self.id}@v{self.version}"

    @property
    def hash(self) -> str:
        """Content hash of the template (front matter and message texts): ``b2:...``."""
        return content_hash(self.model_dump(mode="json"))

    def render(self, **variables: Any) -> list[RenderedMessage]:
        """Fill every placeholder; raise :class:`ConfigError` naming any missing or unexpected variable."""
        missing = [name for name in self.variables if name not in variables]
        if missing:
            raise ConfigError(
                f"Prompt {self.ref} needs the variable(s) {', '.join(missing)}; pass them to render(). "
                f"It declares: {', '.join(self.variables)}."
            )
        unexpected = sorted(set(variables) - set(self.variables))
        if unexpected:
            raise ConfigError(
                f"Prompt {self.ref} does not use the variable(s) {', '.join(unexpected)}; "
                f"it declares: {', '.join(self.variables)}."
            )
        values = {name: str(value) for name, value in variables.items()}
        rendered: list[RenderedMessage] = []
        for message in self.messages:
            try:
                content = string.Template(message.template).substitute(values)
            except (KeyError, ValueError) as exc:  # pragma: no cover - load_prompt validated the placeholders
                raise ConfigError(f"Prompt {self.ref} cannot be rendered: {exc}") from exc
            rendered.append(RenderedMessage(role=message.role, content=content))
        return rendered


def default_prompts_dir() -> Path:
    """The shipped prompts: ``prompts/`` next to the package in a checkout, ``icp/_prompts`` in a wheel."""
    package_dir = Path(__file__).resolve().parent
    checkout = package_dir.parent / "prompts"
    if checkout.is_dir():
        return checkout
    return package_dir / "_prompts"


def available_versions(name: str, prompts_dir: Path | None = None) -> list[int]:
    """Versions of prompt ``name`` on disk, ascending (empty when there is no such prompt)."""
    folder = (prompts_dir or default_prompts_dir()) / name
    if not folder.is_dir():
        return []
    versions = []
    for path in folder.iterdir():
        match = _VERSION_FILE.match(path.name)
        if match:
            versions.append(int(match.group(1)))
    return sorted(versions)


def list_prompts(prompts_dir: Path | None = None) -> list[str]:
    """Every prompt version available, as refs (``grade_company@v1``), sorted by name then version."""
    root = prompts_dir or default_prompts_dir()
    if not root.is_dir():
        return []
    refs: list[str] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        refs.extend(f"{folder.name}@v{v}" for v in available_versions(folder.name, root))
    return refs


def load_prompt(ref: str, prompts_dir: Path | None = None) -> PromptTemplate:
    """Load a prompt by ref: ``grade_company@v1``, or ``grade_company`` for its latest version.

    Raises:
        ConfigError: the ref is malformed, the version does not exist, or the file is not a valid prompt.
    """
    return _load_prompt(ref, (prompts_dir or default_prompts_dir()).resolve())


@lru_cache(maxsize=64)
def _load_prompt(ref: str, root: Path) -> PromptTemplate:
    match = _REF.match(ref.strip())
    if not match:
        raise ConfigError(f"Prompt id {ref!r} is not of the form name@vN, e.g. 'grade_company@v1'.")
    name = match.group("name")
    versions = available_versions(name, root)
    if not versions:
        known = ", ".join(list_prompts(root)) or "none"
        raise ConfigError(f"There is no prompt named {name!r} in {root}. Available: {known}.")
    version = int(match.group("version")) if match.group("version") else versions[-1]
    if version not in versions:
        listed = ", ".join(f"v{v}" for v in versions)
        raise ConfigError(f"Prompt {name}@v{version} does not exist; available versions of {name}: {listed}.")
    path = root / name / f"v{version}.md"
    template = parse_prompt_file(path.read_text(encoding="utf-8"), source=str(path))
    if template.id != name or template.version != version:
        raise ConfigError(
            f"{path} declares id {template.id!r} version {template.version}; "
            f"its location says {name!r} version {version}. Make them agree."
        )
    return template


def parse_prompt_file(text: str, *, source: str = "<prompt>") -> PromptTemplate:
    """Parse the text of a prompt file into a :class:`PromptTemplate`, checking its placeholders.

    Raises:
        ConfigError: no front matter, invalid front matter, no role markers, or placeholders that do not
            match the declared ``variables``.
    """
    normalised = text.replace("\r\n", "\n")
    if not normalised.startswith("---\n"):
        raise ConfigError(f"{source}: a prompt file starts with YAML front matter between '---' lines.")
    end = normalised.find("\n---\n", 4)
    if end < 0:
        raise ConfigError(f"{source}: the front matter is not closed by a '---' line.")
    try:
        front = yaml.safe_load(normalised[4:end])
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: the front matter is not valid YAML: {exc}") from exc
    if not isinstance(front, dict):
        raise ConfigError(f"{source}: the front matter must be a mapping of keys to values.")
    body = normalised[end + len("\n---\n") :]
    markers = list(_ROLE_MARKER.finditer(body))
    if not markers or body[: markers[0].start()].strip():
        raise ConfigError(f"{source}: the body must start with a '<!-- role: system -->' (or user) marker line.")
    messages = []
    for index, marker in enumerate(markers):
        stop = markers[index + 1].start() if index + 1 < len(markers) else len(body)
        messages.append({"role": marker.group(1), "template": body[marker.end() : stop].strip("\n")})
    try:
        template = PromptTemplate.model_validate({**front, "messages": messages})
    except ValidationError as exc:
        raise ConfigError(f"{source}: invalid prompt front matter: {exc}") from exc
    used: set[str] = set()
    for message in template.messages:
        parsed = string.Template(message.template)
        if not parsed.is_valid():
            raise ConfigError(f"{source}: invalid placeholder in the {message.role} message; write $$ for a dollar.")
        used.update(parsed.get_identifiers())
    declared = set(template.variables)
    if used != declared:
        problems = []
        if used - declared:
            problems.append(f"used but not declared: {', '.join(sorted(used - declared))}")
        if declared - used:
            problems.append(f"declared but not used: {', '.join(sorted(declared - used))}")
        raise ConfigError(f"{source}: placeholders and 'variables' disagree ({'; '.join(problems)}).")
    return template
