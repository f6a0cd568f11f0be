"""Outcomes: won, lost and open deals, and whether the segments pick the accounts that win.

- :func:`store_deals` keeps deals from CRM exports (HubSpot deals, Salesforce opportunities) as
  :class:`~icp.store.tables.Outcome` rows, matched to companies by domain, then by name.
- :func:`outcome_report` gives win rate (Wilson interval), lift, won revenue and time to close per
  segment, tier and status — each deal judged against the grade its account had *before* the deal was
  created, so an outcome never grades itself.
"""

from icp.outcomes._backtest import Backtest, BacktestSide, CriterionExclusion, backtest_segment
from icp.outcomes._deals import DEAL_HEADER_ALIASES, Deal, DealResult, deal_result, map_deal_header, parse_day
from icp.outcomes._read import ParsedDeals, read_deal, read_deals
from icp.outcomes._report import MIN_CLOSED_DEALS, GroupOutcomes, SegmentOutcomes, outcome_report
from icp.outcomes._stats import Interval, risk_ratio, wilson_interval
from icp.outcomes._store import OutcomeImportReport, OutcomeInfo, list_outcomes, store_deals

__all__ = [
    "Backtest",
    "BacktestSide",
    "CriterionExclusion",
    "backtest_segment",
    "DEAL_HEADER_ALIASES",
    "MIN_CLOSED_DEALS",
    "Deal",
    "DealResult",
    "GroupOutcomes",
    "Interval",
    "OutcomeImportReport",
    "OutcomeInfo",
    "ParsedDeals",
    "SegmentOutcomes",
    "deal_result",
    "list_outcomes",
    "map_deal_header",
    "outcome_report",
    "parse_day",
    "read_deal",
    "read_deals",
    "risk_ratio",
    "store_deals",
    "wilson_interval",
]
