"""A text area that tells the page what is typed while the user types, not only when the field loses focus.

Streamlit's own ``st.text_area`` reports its value on blur or Ctrl+Enter, so hints that depend on the text
(the segment form's lint) lag one step behind the person typing. This field is a small inline component
(``st.components.v2``: HTML, CSS and JavaScript, no build step) that sends its text after a short pause in
typing (300 ms), on blur and on Ctrl+Enter. The page reruns with the new text while the browser keeps the
same ``<textarea>``: focus, caret and selection stay where they were, and keystrokes typed during the rerun
are kept.

The text lives in ``st.session_state[key]`` (plain session state, not a widget value), so it survives page
switches. Python changes it with :func:`set_text`, which also bumps a revision number: the browser replaces
what the field shows only when the revision changes, never because a rerun echoes older text back. The
browser reports ``{"text", "revision"}``; a report made before the latest :func:`set_text` is ignored, so a
keystroke still in flight cannot overwrite a segment that was just loaded.

Everything shown comes from the page's own code (label, placeholder, help) or from the user's typing, and
the JavaScript writes it with ``textContent``/``value``, never as HTML.
"""

from __future__ import annotations

import functools
from typing import Any

import streamlit as st

DEBOUNCE_MS = 300

_HTML = """
<div class="icp-live-text">
  <div class="icp-live-text__head">
    <label class="icp-live-text__label"></label>
    <span class="icp-live-text__help" role="img" hidden>?</span>
  </div>
  <textarea class="icp-live-text__area" spellcheck="true"></textarea>
</div>
"""

# Matches st.text_area: body font, secondary background, theme radius, primary colour on focus. The
# --st-* properties are the theme, set by Streamlit on the component's container.
_CSS = """
.icp-live-text { display: flex; flex-direction: column; gap: 0.25rem; width: 100%;
  font-family: var(--st-font, "Source Sans", sans-serif); color: var(--st-text-color, #31333f); }
.icp-live-text__head { display: flex; align-items: center; gap: 0.375rem; min-height: 1.5rem; }
.icp-live-text__label { font-size: 0.875rem; line-height: 1.6; }
.icp-live-text__help { display: inline-flex; align-items: center; justify-content: center; width: 1rem;
  height: 1rem; border: 1px solid currentColor; border-radius: 50%; font-size: 0.65rem; opacity: 0.6;
  cursor: help; }
.icp-live-text__area { box-sizing: border-box; width: 100%; resize: vertical; margin: 0;
  padding: 0.5rem 0.75rem; font: inherit; font-size: var(--st-base-font-size, 1rem); line-height: 1.6;
  color: inherit; background: var(--st-secondary-background-color, #f0f2f6);
  border: 1px solid var(--st-widget-border-color, transparent); border-radius: var(--st-base-radius, 0.5rem);
  outline: none; }
.icp-live-text__area:focus { border-color: var(--st-primary-color, #ff4b4b); }
.icp-live-text__area::placeholder { color: var(--st-text-color, #31333f); opacity: 0.45; }
"""

_JS = """
export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".icp-live-text");
  if (!root || !data) return;
  const area = root.querySelector("textarea");
  // Called again on every rerun with fresh data: listeners are attached once, state kept on the node.
  let live = root.icpLive;
  if (!live) {
    live = { revision: null, timer: null, sent: null, report: null };
    root.icpLive = live;
    area.id = `icp-live-text-${Math.random().toString(36).slice(2)}`;
    root.querySelector("label").htmlFor = area.id;  // a click on the label focuses the field
    const flush = () => {
      if (live.timer !== null) { clearTimeout(live.timer); live.timer = null; }
      if (area.value === live.sent) return;
      live.sent = area.value;
      live.report({ text: area.value, revision: live.revision });
    };
    live.flush = flush;
    area.addEventListener("input", () => {
      if (live.timer !== null) clearTimeout(live.timer);
      live.timer = setTimeout(flush, live.debounce);
    });
    area.addEventListener("blur", flush);
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) flush();
    });
  }
  live.report = (value) => component.setStateValue("typed", value);
  live.debounce = Number(data.debounce_ms) || 300;
  root.querySelector("label").textContent = data.label;
  area.setAttribute("aria-label", data.label);
  area.placeholder = data.placeholder || "";
  area.style.height = `${Number(data.height) || 180}px`;
  const help = root.querySelector(".icp-live-text__help");
  help.hidden = !data.help;
  help.title = data.help || "";
  help.setAttribute("aria-label", data.help || "");
  if (live.revision !== data.revision) {
    // Text set by the page (a segment loaded, the form cleared): show it. Echoes of typing never get here.
    if (live.timer !== null) { clearTimeout(live.timer); live.timer = null; }
    live.revision = data.revision;
    live.sent = data.text;
    if (area.value !== data.text) area.value = data.text;
  }
}
"""

_live_text_area = st.components.v2.component("icp_live_text_area", html=_HTML, css=_CSS, js=_JS, isolate_styles=False)


def field_key(key: str) -> str:
    """The component's own key (its container carries the CSS class ``st-key-<field_key>``)."""
    return f"{key}_field"


def _revision_key(key: str) -> str:
    return f"{key}_revision"


def set_text(key: str, text: str) -> None:
    """Put ``text`` in the field (from a callback or before the field is drawn); the browser shows it."""
    st.session_state[key] = text
    st.session_state[_revision_key(key)] = int(st.session_state.get(_revision_key(key), 0)) + 1


def accept_report(key: str, report: Any) -> bool:
    """Take the text the browser reported, unless it was typed before the page last set the field."""
    if not isinstance(report, dict):
        return False
    text, revision = report.get("text"), report.get("revision")
    if not isinstance(text, str) or revision != int(st.session_state.get(_revision_key(key), 0)):
        return False
    st.session_state[key] = text
    return True


def _on_report(key: str) -> None:
    widget: Any = st.session_state.get(field_key(key)) or {}
    accept_report(key, widget.get("typed"))


def live_text_area(label: str, *, key: str, placeholder: str = "", height: int = 180, help: str | None = None) -> str:
    """Draw the field and return its text (``st.session_state[key]``), current to the last pause in typing."""
    text = str(st.session_state.get(key, ""))
    _live_text_area(
        key=field_key(key),
        data={
            "label": label,
            "placeholder": placeholder,
            "help": help or "",
            "height": height,
            "text": text,
            "revision": int(st.session_state.get(_revision_key(key), 0)),
            "debounce_ms": DEBOUNCE_MS,
        },
        on_typed_change=functools.partial(_on_report, key),
    )
    return text
