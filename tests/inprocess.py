"""Run the `icp` command in the test's own process: the CLI as a user types it, without a process start-up.

Errors that only the console script formats (one readable line, exit 1) need the real command:
``tests.test_cli.icp``.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from icp.cli import app


class Ran:
    """What one in-process `icp` run printed, and its exit code."""

    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_icp(db: Path, *args: str, env: dict[str, str] | None = None, check: bool = True) -> Ran:
    """``icp --db DB ARGS`` with ``env`` set for the run only, as a shell would set it."""
    result = CliRunner().invoke(app, ["--db", str(db), *args], env={"COLUMNS": "200", **(env or {})})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    if check and result.exit_code != 0:
        raise AssertionError(f"icp {' '.join(args)} exited {result.exit_code}:\n{result.stdout}\n{result.stderr}")
    return Ran(result.exit_code, result.stdout, result.stderr)
