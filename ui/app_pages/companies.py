"""Companies: upload a CRM export (preview, column mapping, row-level errors) and browse accounts."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from icp.companies import ImportReport, company_signals, count_companies, get_company, import_rows, list_companies
from icp.errors import ICPError
from icp.importing import ParsedRows, parse_rows
from icp.queue import company_memberships
from icp.team import Permission
from ui import access, resources, state, widgets

_PREVIEW_ROWS = 10
_LIST_LIMIT = 200


def _preview(parsed: ParsedRows, filename: str) -> None:
    st.markdown(f"**{len(parsed.rows)} rows** read from {widgets.plain(filename)}.")
    for warning in parsed.warnings:
        st.warning(widgets.plain(warning.message))
    mapping, sample = st.columns([1, 2])
    with mapping:
        st.caption("Column mapping")
        st.dataframe(
            [{"column in the file": source, "reads as": field} for source, field in parsed.mapping.items()],
            hide_index=True,
            width="stretch",
        )
        if parsed.ignored_columns:
            st.caption("Ignored columns: " + ", ".join(widgets.plain(c) for c in parsed.ignored_columns))
    with sample:
        st.caption(f"First {min(_PREVIEW_ROWS, len(parsed.rows))} rows, as they will be read")
        st.dataframe(
            [{"row": number, **row} for number, row in parsed.rows[:_PREVIEW_ROWS]],
            hide_index=True,
            width="stretch",
        )


def _report(report: ImportReport) -> None:
    if not report.committed:
        st.warning(
            f"Nothing was imported: {report.rejected} rows are bad and 'all or nothing' was on. "
            "Fix the rows below and upload the file again."
        )
    else:
        st.success(
            f"Imported {report.total} rows: {report.created} new, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.rejected} rejected."
        )
    cols = st.columns(4)
    cols[0].metric("New", report.created)
    cols[1].metric("Updated", report.updated)
    cols[2].metric("Unchanged", report.unchanged)
    cols[3].metric("Rejected", report.rejected)
    if report.warnings:
        st.markdown("**Worth checking**")
        st.dataframe(
            [{"row": "" if w.row is None else w.row, "warning": w.message} for w in report.warnings],
            hide_index=True,
            width="stretch",
        )
    if report.errors:
        st.markdown("**Rejected rows**")
        st.dataframe(
            [{"row": e.row, "name": e.name or "", "domain": e.domain or "", "reason": e.reason} for e in report.errors],
            hide_index=True,
            width="stretch",
        )


def _upload() -> None:
    st.subheader("Import")
    limit_mb = int(st.get_option("server.maxUploadSize"))
    uploaded = st.file_uploader(
        'Upload companies (CSV, Excel "Unicode Text", JSON or JSONL)',
        type=["csv", "tsv", "txt", "json", "jsonl", "ndjson"],
        key=state.CO_UPLOAD,
        help=(
            "Exports from HubSpot, Salesforce or Apollo work as they are: headers such as 'Company name' or "
            "'Number of Employees' are recognised. Companies are matched by domain, so importing again updates them. "
            f"Files up to {limit_mb} MB (larger ones: `icp companies import FILE`)."
        ),
    )
    if uploaded is not None:
        try:
            parsed = parse_rows(uploaded.getvalue(), uploaded.name)
        except ICPError as exc:
            st.error(str(exc))
        else:
            _preview(parsed, uploaded.name)
            st.checkbox(
                "All or nothing: import no row if any row is bad",
                key=state.CO_ALL_OR_NOTHING,
            )
            if st.button(f"Import {len(parsed.rows)} rows", key=state.CO_IMPORT, type="primary"):
                try:
                    with resources.session() as session:
                        imported = import_rows(
                            session,
                            parsed,
                            all_or_nothing=bool(st.session_state.get(state.CO_ALL_OR_NOTHING)),
                            actor=access.actor(),
                            source=uploaded.name,
                        )
                except ICPError as exc:
                    st.error(str(exc))
                else:
                    state.set_import_report(imported)
    last = state.import_report()
    if last is not None:
        _report(last)


def _detail(session: Session, domain: str) -> None:
    company = get_company(session, domain)
    assert company.id is not None
    st.markdown(f"### {widgets.plain(company.name)}")
    st.caption(f"{widgets.plain(company.domain)} · updated {widgets.ago(company.updated_at)}")
    if company.description:
        st.markdown(widgets.plain(company.description))
    fields, standing = st.columns(2)
    with fields:
        st.markdown("**Fields**")
        values = {
            "website": company.website,
            "industry": company.industry,
            "employees": company.employees,
            "revenue (USD)": company.revenue,
            "country": company.country,
            "region": company.region,
            "city": company.city,
            "funding stage": company.funding_stage,
            "founded": company.founded_year,
            "technologies": ", ".join(company.technologies or []),
            "tags": ", ".join(company.tags or []),
        }
        st.dataframe(
            [{"field": k, "value": "" if v is None else str(v)} for k, v in values.items()],
            hide_index=True,
            width="stretch",
        )
    with standing:
        st.markdown("**Segments (latest cycle)**")
        memberships = company_memberships(session, company.id)
        if memberships:
            for m in memberships:
                st.markdown(
                    f"{widgets.tier_badge(m.tier)} **{widgets.plain(m.segment)}** (v{m.segment_version}) · "
                    f"{m.status} · {m.fit_score:g}"
                )
                if m.summary:
                    st.caption(widgets.plain(m.summary))
        else:
            st.caption("Not graded yet: run a cycle on the Cycles page.")
        st.markdown("**Signals**")
        signals = company_signals(session, company.id)
        if signals:
            st.dataframe(
                [
                    {
                        "type": s.type,
                        "topic": s.topic,
                        "strength": s.strength,
                        "observed": s.observed_at.strftime("%Y-%m-%d"),
                    }
                    for s in signals
                ],
                hide_index=True,
                width="stretch",
            )
        else:
            st.caption("No intent or engagement signals.")


def _accounts(session: Session) -> None:
    st.subheader("Accounts")
    total = count_companies(session)
    if total == 0:
        if access.actor().can(Permission.IMPORT_DATA):
            st.info("No companies yet. Upload a CRM export above, or load the sample data.")
            widgets.load_samples_button()
        else:
            st.info("No companies yet. A leader imports them (Companies page, or `icp companies import FILE`).")
        return
    search = st.text_input(
        "Search", key=state.CO_SEARCH, placeholder="Name, domain or industry", label_visibility="collapsed"
    )
    companies = list_companies(session, search=search or None, limit=_LIST_LIMIT)
    shown = f"{len(companies)} of {total}" if search or total > _LIST_LIMIT else f"{total}"
    st.caption(f"{shown} companies")
    if not companies:
        st.info(f"No company matches {widgets.plain(repr(search))}.")
        return
    st.dataframe(
        [
            {
                "name": c.name,
                "domain": c.domain,
                "industry": c.industry,
                "employees": c.employees,
                "country": c.country,
                "funding": c.funding_stage,
                "technologies": ", ".join(c.technologies),
            }
            for c in companies
        ],
        hide_index=True,
        width="stretch",
    )
    names = {c.domain: c.name for c in companies}
    picked = st.selectbox(
        "Open a company",
        list(names),
        index=None,
        key=state.CO_PICK,
        format_func=lambda domain: f"{names.get(domain, domain)} ({domain})",
        placeholder="Choose a company to see its fields, signals and segments",
    )
    if picked:
        _detail(session, picked)


who = access.require_page()
st.title("Companies")
st.caption("The accounts every segment is graded against. Import a CRM export, then search and open any account.")
widgets.show_flashes()
try:
    if who.can(Permission.IMPORT_DATA):
        _upload()
    else:
        st.info(
            f"Importing companies takes the leader role ({widgets.plain(who.label)}); you can search and open "
            "every account."
        )
    st.divider()
    with resources.session() as db:
        _accounts(db)
except ICPError as exc:
    st.error(str(exc))
