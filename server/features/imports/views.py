"""The import pages (admin): upload a CSV file, then follow its import as it is written."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from server.config import Settings
from server.db.engine import Database
from server.features.imports import customers, jobs, products
from server.features.imports.background import ImportRunner
from server.features.imports.csv_input import MAX_FILE_BYTES, ImportRejected
from server.features.imports.routes import _csv_bytes
from server.security.auth import CurrentUser, requires_role

__all__ = ["IMPORT_PAGES"]

_admins = requires_role("admin")
_COLUMNS = {
    "customers": (customers.COLUMNS, customers.REQUIRED),
    "products": (products.COLUMNS, products.REQUIRED),
}


def _runner(request: Request[Any, Any, Any]) -> ImportRunner:
    runner: ImportRunner = request.app.state.import_runner
    return runner


async def _index(
    request: Request[CurrentUser, Any, Any], db: Database, **extra: Any
) -> dict[str, Any]:
    return {"user": request.user, "jobs": await jobs.recent_jobs(db), "columns": _COLUMNS, **extra}


@get("/imports", include_in_schema=False, guards=[_admins])
async def imports_page(request: Request[CurrentUser, Any, Any], db: Database) -> Template:
    return Template("imports/index.html", context=await _index(request, db))


@post(
    "/imports/{kind:str}",
    include_in_schema=False,
    guards=[_admins],
    request_max_body_size=MAX_FILE_BYTES,
)
async def upload(
    request: Request[CurrentUser, Any, Any],
    db: Database,
    settings: Settings,
    kind: str,
) -> Template | Redirect:
    if kind not in jobs.KINDS:
        return Redirect(path="/imports", status_code=303)
    raw = await _csv_bytes(request)
    try:
        job_id = await jobs.start_job(db, kind, request.user.id, raw)
    except ImportRejected as exc:
        context = await _index(
            request,
            db,
            rejected={"kind": kind, "message": exc.message, "errors": exc.details["errors"]},
        )
        return Template("imports/index.html", context=context, status_code=422)
    _runner(request).start(jobs.run_job(db, job_id, settings.import_batch_rows))
    return Redirect(path=f"/imports/jobs/{job_id}", status_code=303)


@get("/imports/jobs/{job_id:str}", include_in_schema=False, guards=[_admins])
async def job_page(request: Request[CurrentUser, Any, Any], db: Database, job_id: str) -> Template:
    job = await jobs.find_job(db, job_id)
    # htmx polls the progress alone while the job runs.
    name = "imports/_job.html" if "hx-request" in request.headers else "imports/job.html"
    return Template(name, context={"user": request.user, "job": job})


@post("/imports/jobs/{job_id:str}/resume", include_in_schema=False, guards=[_admins])
async def resume(
    request: Request[CurrentUser, Any, Any], db: Database, settings: Settings, job_id: str
) -> Redirect:
    job = await jobs.find_job(db, job_id)
    if job.status != "done":
        _runner(request).start(jobs.resume_job(db, job_id, settings.import_batch_rows))
    return Redirect(path=f"/imports/jobs/{job_id}", status_code=303)


IMPORT_PAGES: list[Any] = [imports_page, upload, job_page, resume]
