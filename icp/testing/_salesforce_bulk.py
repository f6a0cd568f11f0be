"""Bulk API 2.0 ingest jobs of the fake Salesforce org: create, upload CSV, close, poll, read results."""

from __future__ import annotations

import csv
import io
import threading
from typing import TYPE_CHECKING, Any

from icp.testing._salesforce_api import ApiError, record_error

if TYPE_CHECKING:
    from datetime import datetime


class BulkIngest:
    """The ingest half of Bulk API 2.0, over the org's records and per-record rules (mixed into ``Org``)."""

    lock: threading.RLock
    api_version: str
    fields: dict[str, dict[str, str]]
    jobs: dict[str, dict[str, Any]]
    bulk_failure: str | None = None  # when set, every ingest job fails as a whole with this errorMessage

    def new_id(self, sobject: str) -> str:  # provided by Org
        raise NotImplementedError

    def update(self, sobject: str, record_id: str, values: dict[str, Any]) -> None:  # provided by Org
        raise NotImplementedError

    def _check(self, method: str, record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        raise NotImplementedError

    def clock(self) -> datetime:  # provided by Org
        raise NotImplementedError

    def create_job(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /jobs/ingest``: an open job waiting for its CSV."""
        sobject = str(body.get("object", ""))
        if sobject not in self.fields:
            raise ApiError(400, "INVALIDJOB", f"InvalidJob : Unable to find object: {sobject}")
        job_id = self.new_id("Job")
        job = {
            "id": job_id,
            "operation": body.get("operation"),
            "object": sobject,
            "state": "Open",
            "contentType": "CSV",
            "apiVersion": float(self.api_version),
            "lineEnding": body.get("lineEnding", "LF"),
            "columnDelimiter": body.get("columnDelimiter", "COMMA"),
        }
        with self.lock:
            self.jobs[job_id] = {"info": job, "csv": "", "ok": [], "failed": []}
        return dict(job)

    def job(self, job_id: str) -> dict[str, Any]:
        """The job's state, with record counts once complete."""
        with self.lock:
            stored = self.jobs.get(job_id)
            if stored is None:
                raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
            info = dict(stored["info"])
            info["numberRecordsProcessed"] = len(stored["ok"]) + len(stored["failed"])
            info["numberRecordsFailed"] = len(stored["failed"])
            return info

    def upload(self, job_id: str, text: str) -> None:
        """``PUT .../batches``: the job's CSV data."""
        with self.lock:
            self.jobs[job_id]["csv"] += text

    def set_job_state(self, job_id: str, state: str) -> dict[str, Any]:
        """``PATCH`` the job: ``UploadComplete`` processes it at once; ``Aborted`` drops it."""
        with self.lock:
            stored = self.jobs[job_id]
            if state == "UploadComplete" and self.bulk_failure:
                stored["info"] |= {"state": "Failed", "errorMessage": self.bulk_failure}
            elif state == "UploadComplete":
                self._process(stored)
                stored["info"]["state"] = "JobComplete"
            else:
                stored["info"]["state"] = state
        return self.job(job_id)

    def _process(self, stored: dict[str, Any]) -> None:
        sobject = stored["info"]["object"]
        reader = csv.DictReader(io.StringIO(stored["csv"]))
        for row in reader:
            values = {k: (None if v == "#N/A" else v) for k, v in row.items() if v != "" and k != "Id"}
            record = {"attributes": {"type": sobject}, "id": row.get("Id"), **values}
            unknown = [k for k in values if k not in self.fields[sobject]]
            if unknown:
                error: dict[str, Any] | None = record_error(
                    "INVALID_FIELD", f"No such column '{unknown[0]}' on entity {sobject}"
                )
            else:
                values, error = self._check("PATCH", record)
            if error is None:
                self.update(sobject, row["Id"], values)
                stored["ok"].append(row)
            else:
                stored["failed"].append((row, f"{error['statusCode']}:{error['message']}:--"))

    def results(self, job_id: str, kind: str) -> str:
        """``failedResults`` / ``successfulResults`` as CSV, Salesforce's ``sf__`` columns first."""
        with self.lock:
            stored = self.jobs[job_id]
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            if kind == "failedResults":
                rows = stored["failed"]
                columns = list(rows[0][0]) if rows else ["Id"]
                writer.writerow(["sf__Id", "sf__Error", *columns])
                for row, message in rows:
                    writer.writerow(["", message, *[row.get(c, "") for c in columns]])
            else:
                rows = stored["ok"]
                columns = list(rows[0]) if rows else ["Id"]
                writer.writerow(["sf__Id", "sf__Created", *columns])
                for row in rows:
                    writer.writerow([row["Id"], "false", *[row.get(c, "") for c in columns]])
            return out.getvalue()
