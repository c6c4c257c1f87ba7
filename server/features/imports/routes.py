"""HTTP API of CSV imports: POST /api/imports/products and /api/imports/customers (admin),
and the import jobs they make (/api/imports/jobs).

The file comes either as the raw body (Content-Type text/csv) or as the field `file` of a
multipart form (a browser upload). Every row is checked first, and any problem answers 422
`import_rejected` listing each one, with nothing written. A file that passes is written in
batches (see `jobs`); the answer comes when the last batch is written, and its `Location`
names the job, whose progress can be followed meanwhile when the caller chose its id
(`?job_id=`). A job that stopped part way is resumed with POST /api/imports/jobs/{id}/resume.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import Parameter

from server.config import Settings
from server.db.engine import Database
from server.domain.errors import Conflict
from server.features.catalog.openapi import problems
from server.features.imports import customers, jobs, products
from server.features.imports.csv_input import MAX_FILE_BYTES
from server.features.imports.customers import CustomerImportResult
from server.features.imports.products import ProductImportResult
from server.security.auth import CurrentUser, requires_role

__all__ = ["import_customers", "import_job", "import_jobs", "import_products", "resume_import"]

_CSV_TYPES = {"text/csv", "application/csv", "text/plain"}


def _upload_body(columns: tuple[str, ...], required: tuple[str, ...]) -> RequestBody:
    text = Schema(
        type=OpenAPIType.STRING,
        description=(
            "UTF-8 CSV with a header line. Columns: "
            + ", ".join(columns)
            + ". Required: "
            + ", ".join(required)
            + ". Amounts are decimals like 12.50."
        ),
    )
    form = Schema(
        type=OpenAPIType.OBJECT,
        required=["file"],
        properties={"file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)},
    )
    return RequestBody(
        required=True,
        content={
            "text/csv": OpenAPIMediaType(schema=text),
            "multipart/form-data": OpenAPIMediaType(schema=form),
        },
    )


@dataclass
class _ProductsUpload(Operation):
    # Litestar documents a body only from a `data` parameter; these handlers read the raw
    # body themselves (two content types), so the OpenAPI operation says it instead.
    def __post_init__(self) -> None:
        self.request_body = _upload_body(products.COLUMNS, products.REQUIRED)


@dataclass
class _CustomersUpload(Operation):
    def __post_init__(self) -> None:
        self.request_body = _upload_body(customers.COLUMNS, customers.REQUIRED)


async def _csv_bytes(request: Request[Any, Any, Any]) -> bytes:
    content_type, _ = request.content_type
    if content_type == "multipart/form-data":
        upload = (await request.form()).get("file")
        if not isinstance(upload, UploadFile):
            raise ClientException(
                "send the CSV file in the form field 'file'",
                status_code=400,
                extra={"code": "file_missing"},
            )
        return await upload.read()
    if content_type in _CSV_TYPES:
        return await request.body()
    raise ClientException(
        f"send the file as text/csv or as multipart/form-data, not {content_type or 'no content type'}",
        status_code=415,
    )


_JOB_ID = Parameter(
    pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    description="An id (a UUID) for the import job, to follow its progress while it runs",
)


async def _run(
    request: Request[CurrentUser, Any, Any],
    db: Database,
    settings: Settings,
    kind: str,
    job_id: str | None,
) -> Response[Any]:
    raw = await _csv_bytes(request)
    job_id = await jobs.start_job(db, kind, request.user.id, raw, job_id)
    job = await jobs.run_job(db, job_id, settings.import_batch_rows)
    if job.status != "done":
        raise Conflict(
            "Another request is writing this import; follow its progress.",
            code="import_in_progress",
            details={"job_id": job_id},
        )
    result = msgspec.convert(job.result, jobs.KINDS[kind].result_type)
    return Response(result, headers={"Location": f"/api/imports/jobs/{job_id}"})


@post(
    "/api/imports/products",
    tags=["imports"],
    status_code=200,
    guards=[requires_role("admin")],
    request_max_body_size=MAX_FILE_BYTES,
    operation_class=_ProductsUpload,
    responses=problems(400, 403, 409, 413, 415, 422),
)
async def import_products(
    request: Request[CurrentUser, Any, Any],
    db: Database,
    settings: Settings,
    job_id: Annotated[str | None, _JOB_ID] = None,
) -> Response[ProductImportResult]:
    """Create or update products by SKU, with their base price (in the base price list in
    force today) and their stock in one warehouse. A file with any problem imports nothing;
    a good file is written in batches (409 `import_stopped` if one fails: resume the job)."""
    return await _run(request, db, settings, "products", job_id)


@post(
    "/api/imports/customers",
    tags=["imports"],
    status_code=200,
    guards=[requires_role("admin")],
    request_max_body_size=MAX_FILE_BYTES,
    operation_class=_CustomersUpload,
    responses=problems(400, 403, 409, 413, 415, 422),
)
async def import_customers(
    request: Request[CurrentUser, Any, Any],
    db: Database,
    settings: Settings,
    job_id: Annotated[str | None, _JOB_ID] = None,
) -> Response[CustomerImportResult]:
    """Create customers with their billing address and contact, numbered and placed in
    territories like onboarded ones. A file with any problem imports nothing; a good file
    is written in batches (409 `import_stopped` if one fails: resume the job)."""
    return await _run(request, db, settings, "customers", job_id)


@get(
    "/api/imports/jobs", tags=["imports"], guards=[requires_role("admin")], responses=problems(403)
)
async def import_jobs(db: Database) -> list[jobs.ImportJobOut]:
    """The latest imports, newest first, with their progress."""
    return await jobs.recent_jobs(db)


@get(
    "/api/imports/jobs/{job_id:str}",
    tags=["imports"],
    guards=[requires_role("admin")],
    responses=problems(403, 404),
)
async def import_job(db: Database, job_id: str) -> jobs.ImportJobOut:
    """An import's progress: `rows_done` of `rows_total` written; `status` running, done or
    failed (with `error`, and the rows before it written)."""
    return await jobs.find_job(db, job_id)


@post(
    "/api/imports/jobs/{job_id:str}/resume",
    tags=["imports"],
    status_code=200,
    guards=[requires_role("admin")],
    responses=problems(403, 404, 409),
)
async def resume_import(db: Database, settings: Settings, job_id: str) -> jobs.ImportJobOut:
    """Write the rows a stopped import has not written yet, each once."""
    return await jobs.resume_job(db, job_id, settings.import_batch_rows)
