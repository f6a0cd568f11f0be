"""Evals: golden-suite runs, their metrics, and a comparison of two runs with regressions highlighted."""

from __future__ import annotations

import importlib.util

import streamlit as st

from ui import widgets

st.title("Evals")
st.caption("How well the evaluator agrees with the golden cases, run by run.")
widgets.show_flashes()
if importlib.util.find_spec("icp.evals") is None:
    st.info("No eval runs yet — run `icp evals run --suite golden`.")
