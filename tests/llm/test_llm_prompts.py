"""Prompt files: loading, strict rendering, hashing, versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from icp.errors import ConfigError
from icp.prompts import available_versions, default_prompts_dir, list_prompts, load_prompt, parse_prompt_file

# Merged prompt versions are immutable: a change is a new file, never an edit. If this fails, revert the
# edit and add vN+1 instead.
MERGED_PROMPT_HASHES = {
    "grade_company@v1": "b2:2919f935e4b53d941b0315e914e08772",
}

VARIABLES = {"segment_name": "S", "criteria": "R1. (requirement) B2B", "criterion_ids": "R1", "company_json": "{}"}


@pytest.mark.parametrize(("ref", "expected"), sorted(MERGED_PROMPT_HASHES.items()))
def test_merged_prompt_hashes_never_change(ref: str, expected: str) -> None:
    assert load_prompt(ref).hash == expected


def test_loads_front_matter_and_messages() -> None:
    prompt = load_prompt("grade_company@v1")

    assert (prompt.id, prompt.version, prompt.ref) == ("grade_company", 1, "grade_company@v1")
    assert prompt.model == "gpt-4o-mini" and prompt.temperature == 0
    assert prompt.response_model == "icp.evaluators.llm.GradeResponse"
    assert prompt.variables == ("segment_name", "criteria", "criterion_ids", "company_json")
    assert [m.role for m in prompt.messages] == ["system", "user"]
    assert prompt.hash.startswith("b2:")


def test_response_model_path_resolves() -> None:
    import importlib

    module, _, name = load_prompt("grade_company@v1").response_model.rpartition(".")
    assert hasattr(importlib.import_module(module), name)


def test_bare_name_loads_the_latest_version() -> None:
    assert load_prompt("grade_company").version == max(available_versions("grade_company"))


def test_lists_available_versions() -> None:
    assert "grade_company@v1" in list_prompts()
    assert available_versions("grade_company")[0] == 1
    assert available_versions("no_such_prompt") == []
    assert default_prompts_dir().name in ("prompts", "_prompts")


def test_renders_static_text_first_and_company_last() -> None:
    system, user = load_prompt("grade_company@v1").render(**VARIABLES)

    assert system.role == "system" and "R1. (requirement) B2B" in system.content
    assert "unknown" in system.content and "untrusted" in system.content
    assert user.content.endswith("<company_data>\n{}\n</company_data>")


def test_rendering_names_a_missing_variable() -> None:
    variables = dict(VARIABLES)
    del variables["company_json"]

    with pytest.raises(ConfigError, match="company_json"):
        load_prompt("grade_company@v1").render(**variables)


def test_rendering_rejects_an_unexpected_variable() -> None:
    with pytest.raises(ConfigError, match="surprise"):
        load_prompt("grade_company@v1").render(**VARIABLES, surprise="x")


def test_substituted_values_are_not_reinterpreted() -> None:
    system, user = load_prompt("grade_company@v1").render(**{**VARIABLES, "company_json": '{"d": "$criteria ${x}"}'})

    assert '{"d": "$criteria ${x}"}' in user.content


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("grade_company@v99", "available versions of grade_company: v1"),
        ("nope@v1", "no prompt named 'nope'"),
        ("Bad Ref", "not of the form name@vN"),
    ],
)
def test_unknown_prompts_are_config_errors(ref: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_prompt(ref)


def test_custom_prompts_dir(tmp_path: Path) -> None:
    folder = tmp_path / "greet"
    folder.mkdir()
    (folder / "v2.md").write_text(
        "---\nid: greet\nversion: 2\nmodel: m\nresponse_model: x.Y\nvariables: [who]\n---\n"
        "<!-- role: system -->\nCost: $$5\n<!-- role: user -->\nHello $who\n",
        encoding="utf-8",
    )

    prompt = load_prompt("greet@v2", tmp_path)

    assert [m.content for m in prompt.render(who="Ada")] == ["Cost: $5", "Hello Ada"]
    assert list_prompts(tmp_path) == ["greet@v2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no front matter", "starts with YAML front matter"),
        ("---\nid: x\n", "not closed"),
        ("---\n- a\n---\n<!-- role: user -->\nhi", "mapping"),
        ("---\nid: x\nversion: 1\nmodel: m\nresponse_model: r\nvariables: []\n---\nhi", "marker"),
        (
            "---\nid: x\nversion: 1\nmodel: m\nresponse_model: r\nvariables: [a]\n---\n<!-- role: user -->\n$b",
            "disagree",
        ),
        (
            "---\nid: x\nversion: 1\nmodel: m\nresponse_model: r\nvariables: []\nextra: 1\n---\n"
            "<!-- role: user -->\nhi",
            "extra",
        ),
        (
            "---\nid: x\nversion: 1\nmodel: m\nresponse_model: r\nvariables: []\n---\n<!-- role: user -->\ncost $5",
            "dollar",
        ),
    ],
)
def test_invalid_prompt_files_are_config_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_prompt_file(text)
