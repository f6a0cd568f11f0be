"""Evaluators: offline rules (the default), LLM over the OpenAI API, and the hybrid of both."""

from icp.evaluators.base import Evaluator, grade_input_hash

__all__ = ["Evaluator", "grade_input_hash"]
