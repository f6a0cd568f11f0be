"""The Segments page: create, lint, refuse an empty name, edit into a new version, stale edits, delete."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from icp.segments import create_segment, edit_segment, get_segment, list_segments, segment_history
from tests.ui.conftest import field_shows, texts, type_text
from ui import state


def _fill(at: AppTest, name: str, requirements: str, nice: str = "") -> None:
    at.text_input(key=state.SEG_NAME).set_value(name)
    type_text(at, state.SEG_REQUIREMENTS, requirements)
    type_text(at, state.SEG_NICE, nice)


def test_create_segment_through_the_form(app: AppTest, db: Engine) -> None:
    _fill(app, "Mid-Market SaaS", "- B2B SaaS company\n- 200–2,000 employees", "- Uses Salesforce")
    app.button(key=state.SEG_SAVE).click().run()

    assert not app.exception
    assert "Created segment 'Mid-Market SaaS' (version 1)" in texts(app)
    with Session(db) as session:
        [segment] = list_segments(session)
    assert (segment.name, segment.version, segment.active) == ("Mid-Market SaaS", 1, True)
    assert segment.requirements == "- B2B SaaS company\n- 200–2,000 employees"
    # The editor now holds the saved segment, and the list shows it with its toggle and edit button.
    assert app.session_state[state.SEG_EDITING_ID] == segment.id
    assert app.toggle(key=state.segment_active_key(segment.id)).value is True
    assert app.button(key=state.segment_edit_key(segment.id))


def test_placeholders_show_examples_of_a_good_definition(app: AppTest) -> None:
    assert "200–2,000 employees" in field_shows(app, state.SEG_REQUIREMENTS)["placeholder"]
    assert "Series B or later" in field_shows(app, state.SEG_NICE)["placeholder"]


def test_vague_requirement_shows_a_lint_hint_while_typing(app: AppTest) -> None:
    _fill(app, "Vague", "- Big companies that could use our product")
    app.run()  # no save: the hint follows the text

    shown = texts(app)
    assert "Suggestions to make this segment gradable" in shown
    assert "**R1** 'Big companies that could use our product'" in shown
    assert "headcount or revenue range" in shown or "observable" in shown

    type_text(app, state.SEG_REQUIREMENTS, "- B2B SaaS company\n- 200–2,000 employees")
    assert "Suggestions to make this segment gradable" not in texts(app)


def test_empty_name_is_refused_with_an_inline_error(app: AppTest, db: Engine) -> None:
    _fill(app, "   ", "- B2B SaaS company")
    app.button(key=state.SEG_SAVE).click().run()

    assert [e.value for e in app.error] == [
        "Name is required. Give the segment a short name, such as 'Mid-Market B2B SaaS'."
    ]
    assert app.session_state[state.SEG_REQUIREMENTS] == "- B2B SaaS company"  # nothing typed is lost
    with Session(db) as session:
        assert list_segments(session) == []


def test_duplicate_name_is_shown_under_the_name(app: AppTest, db: Engine) -> None:
    with Session(db) as session:
        create_segment(session, "Taken", "- SaaS")
    app.run()
    _fill(app, "taken", "- Fintech")
    app.button(key=state.SEG_SAVE).click().run()
    assert any("already exists" in e.value for e in app.error)


def test_edit_creates_a_new_version_with_a_diff(app: AppTest, db: Engine) -> None:
    with Session(db) as session:
        segment = create_segment(session, "Fintech", "- Fintech company\n- Based in Europe")
    app.run()
    app.button(key=state.segment_edit_key(segment.id)).click().run()
    assert app.text_input(key=state.SEG_NAME).value == "Fintech"
    assert field_shows(app, state.SEG_REQUIREMENTS)["text"] == "- Fintech company\n- Based in Europe"

    type_text(app, state.SEG_REQUIREMENTS, "- Fintech company\n- Based in the UK & Ireland")
    app.button(key=state.SEG_SAVE).click().run()

    assert "Saved 'Fintech' as version 2" in texts(app)
    with Session(db) as session:
        assert [v.version for v in segment_history(session, segment.id)] == [2, 1]
    diff = "\n".join(c.value for c in app.code)
    assert "-- Based in Europe" in diff
    assert "+- Based in the UK & Ireland" in diff


def test_stale_edit_says_so_and_keeps_the_typed_text(app: AppTest, db: Engine) -> None:
    with Session(db) as session:
        segment = create_segment(session, "Healthcare", "- Healthcare provider")
    app.run()
    app.button(key=state.segment_edit_key(segment.id)).click().run()
    with Session(db) as session:  # a colleague saves first
        edit_segment(session, segment.id, based_on_version=1, requirements="- Healthcare provider\n- US only")

    typed = "- Healthcare provider or healthtech\n- 100–1,000 employees"
    type_text(app, state.SEG_REQUIREMENTS, typed)
    app.button(key=state.SEG_SAVE).click().run()

    assert any("changed by someone else" in w.value and "nothing you typed was lost" in w.value for w in app.warning)
    assert app.session_state[state.SEG_REQUIREMENTS] == typed
    with Session(db) as session:
        assert get_segment(session, segment.id).version == 2

    app.button(key=state.SEG_REBASE).click().run()  # keep my text on top of version 2
    assert app.session_state[state.SEG_REQUIREMENTS] == typed
    app.button(key=state.SEG_SAVE).click().run()
    with Session(db) as session:
        current = get_segment(session, segment.id)
    assert (current.version, current.requirements) == (3, typed)


def test_delete_asks_for_confirmation_and_says_tasks_stay(app: AppTest, db: Engine) -> None:
    with Session(db) as session:
        segment = create_segment(session, "EMEA", "- Headquartered in EMEA")
    app.run()
    app.button(key=state.segment_edit_key(segment.id)).click().run()

    app.button(key=state.SEG_DELETE).click().run()
    assert "Tasks already generated from this segment stay" in texts(app)
    app.button(key=state.SEG_DELETE_CANCEL).click().run()
    with Session(db) as session:
        assert [s.name for s in list_segments(session)] == ["EMEA"]

    app.button(key=state.SEG_DELETE).click().run()
    app.button(key=state.SEG_DELETE_CONFIRM).click().run()
    assert not app.exception
    assert "Deleted segment 'EMEA'. Tasks already generated from it stay." in texts(app)
    with Session(db) as session:
        assert list_segments(session) == []
    assert app.session_state[state.SEG_EDITING_ID] is None  # back to a blank form


def test_active_toggle_switches_a_segment_off(app: AppTest, db: Engine) -> None:
    with Session(db) as session:
        segment = create_segment(session, "Nordics", "- Based in the Nordics")
    app.run()
    app.toggle(key=state.segment_active_key(segment.id)).set_value(False).run()
    assert not app.exception
    with Session(db) as session:
        assert get_segment(session, segment.id).active is False
    assert "'Nordics' is now inactive" in texts(app)


def test_an_error_level_finding_blocks_saving_until_the_leader_confirms(app: AppTest, db: Engine) -> None:
    _fill(app, "Impossible", "- 10–50 employees\n- 5,000+ employees")
    app.run()
    assert any("cannot" in m.value or "contradict" in m.value.lower() for m in app.markdown)
    app.button(key=state.SEG_SAVE).click().run()
    assert any("Not saved" in e.value for e in app.error)
    with Session(db) as session:
        assert list_segments(session) == []
    app.checkbox(key=state.SEG_SAVE_ANYWAY).check().run()
    app.button(key=state.SEG_SAVE).click().run()
    assert not app.exception and "Created segment 'Impossible'" in texts(app)


def test_a_name_error_clears_as_soon_as_the_name_changes(app: AppTest, db: Engine) -> None:
    with Session(db) as session:
        create_segment(session, "Taken", "- B2B SaaS company")
    _fill(app, "Taken", "- Fintech company")
    app.button(key=state.SEG_SAVE).click().run()
    assert any("already" in e.value for e in app.error)
    app.text_input(key=state.SEG_NAME).set_value("Taken 2").run()
    assert not any("already" in e.value for e in app.error)


def test_the_version_diff_follows_new_versions(app: AppTest, db: Engine) -> None:
    with Session(db) as session:
        info = create_segment(session, "Diffed", "- B2B SaaS company")
        edit_segment(session, info.id, based_on_version=1, requirements="- B2B SaaS company\n- 50+ employees")
    app.run()
    app.button(key=state.segment_edit_key(info.id)).click().run()
    assert (app.selectbox(key=state.SEG_DIFF_FROM).value, app.selectbox(key=state.SEG_DIFF_TO).value) == (1, 2)
    type_text(app, state.SEG_REQUIREMENTS, "- B2B SaaS company\n- 100+ employees")
    app.button(key=state.SEG_SAVE).click().run()
    assert (app.selectbox(key=state.SEG_DIFF_FROM).value, app.selectbox(key=state.SEG_DIFF_TO).value) == (2, 3)
    assert any("+- 100+ employees" in c.value for c in app.code)


def test_the_form_previews_who_a_draft_would_pick_and_backtests_it(app: AppTest, db: Engine) -> None:
    from icp.demo import load_samples

    with Session(db) as session:
        load_samples(session)
    app.run()
    _fill(app, "EU Fintech", "- Fintech company\n- Headquartered in Europe\n- 200 to 2,000 employees")
    app.run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert int(metrics["T1"]) + int(metrics["T2"]) + int(metrics["T3"]) + int(metrics["Not members"]) == 181
    assert int(metrics["Unverified"]) > 0
    assert "Backtest" in texts(app) and any("excluded" in c.value for c in app.caption)


def test_typed_text_is_linted_without_leaving_the_field_and_shown_as_typed(app: AppTest) -> None:
    # The browser reports the text after a pause in typing; the page lints it on that run.
    type_text(app, state.SEG_REQUIREMENTS, "- Big companies that could use our product [x](https://example.com)")
    shown = texts(app)
    assert "Suggestions to make this segment gradable" in shown
    assert "**R1**" in shown
    # The quote of what was typed stays text: no live link in the hint.
    assert "[x](https://example.com)" not in shown and "\\[x\\]\\(https\\:" in shown
    # The page echoes the text back without asking the browser to replace what it shows.
    assert field_shows(app, state.SEG_REQUIREMENTS)["revision"] == 0


def test_a_report_typed_before_a_segment_was_loaded_does_not_overwrite_it(app: AppTest, db: Engine) -> None:
    with Session(db) as session:
        segment = create_segment(session, "Loaded", "- Fintech company")
    app.run()
    type_text(app, state.SEG_REQUIREMENTS, "- Half-typed draft")
    before = field_shows(app, state.SEG_REQUIREMENTS)["revision"]
    app.button(key=state.segment_edit_key(segment.id)).click().run()
    shows = field_shows(app, state.SEG_REQUIREMENTS)
    assert (shows["text"], shows["revision"]) == ("- Fintech company", before + 1)  # the browser replaces its text

    # A keystroke report still in flight from before the load carries the old revision: it is ignored.
    type_text(app, state.SEG_REQUIREMENTS, "- Half-typed draft, more", revision=before)
    assert app.session_state[state.SEG_REQUIREMENTS] == "- Fintech company"
    type_text(app, state.SEG_REQUIREMENTS, "- Fintech company\n- Based in Europe")  # typing after the load counts
    assert app.session_state[state.SEG_REQUIREMENTS] == "- Fintech company\n- Based in Europe"


def test_a_pasted_document_over_the_limit_is_refused_at_once_and_never_linted_or_previewed(
    app: AppTest, db: Engine
) -> None:
    from icp.demo import load_samples

    with Session(db) as session:
        load_samples(session)
    app.run()
    document = "\n".join(f"B2B SaaS companies in Germany with {200 + i} employees" for i in range(20_000))  # ~1 MB
    _fill(app, "Pasted", document)
    app.run()
    assert not app.exception
    (error,) = [e.value for e in app.error]
    assert "The requirements are too long" in error and "20,000 at most" in error
    assert not app.metric and "Suggestions to make this segment gradable" not in texts(app)  # no preview, no lint
    app.button(key=state.SEG_SAVE).click().run()
    with Session(db) as session:
        assert "Pasted" not in {s.name for s in list_segments(session)}
    # Back within the limits, the draft is previewed again.
    type_text(app, state.SEG_REQUIREMENTS, "\n".join(document.splitlines()[:3]))
    assert not app.error and app.metric
