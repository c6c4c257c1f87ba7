"""HTTP API of CSV imports: POST /api/imports/products and /api/imports/customers (admin).

The file comes either as the raw body (Content-Type text/csv) or as the field `file` of a
multipart form (a browser upload). An import is all or nothing: every row is checked
first, and any problem answers 422 `import_rejected` listing each one, with nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, post
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

from server.db.engine import Database
from server.features.catalog.openapi import problems
from server.features.imports import customers, products
from server.features.imports.customers import CustomerImportResult
from server.features.imports.products import ProductImportResult
from server.security.auth import CurrentUser, requires_role

__all__ = ["import_customers", "import_products"]

_CSV_TYPES = {"text/csv", "application/csv", "text/plain"}


def _upload_body(columns: tuple[str, ...], required: tuple[str, ...]) -> RequestBody:
    text = Schema(type=OpenAPIType.STRING, description=(
        "UTF-8 CSV with a header line. Columns: " + ", ".join(columns)
        + ". Required: " + ", ".join(required) + ". Amounts are decimals like 12.50."
    ))
    form = Schema(
        type=OpenAPIType.OBJECT, required=["file"],
        properties={"file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)},
    )
    return RequestBody(required=True, content={
        "text/csv": OpenAPIMediaType(schema=text), "multipart/form-data": OpenAPIMediaType(schema=form),
    })


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
                "send the CSV file in the form field 'file'", status_code=400, extra={"code": "file_missing"}
            )
        return await upload.read()
    if content_type in _CSV_TYPES:
        return await request.body()
    raise ClientException(
        f"send the file as text/csv or as multipart/form-data, not {content_type or 'no content type'}",
        status_code=415,
    )


@post(
    "/api/imports/products", tags=["imports"], status_code=200, guards=[requires_role("admin")],
    operation_class=_ProductsUpload, responses=problems(400, 403, 415, 422),
)
async def import_products(request: Request[CurrentUser, Any, Any], db: Database) -> ProductImportResult:
    """Create or update products by SKU, with their base price (in the base price list in
    force today) and their stock in one warehouse. All rows or none."""
    raw = await _csv_bytes(request)
    async with db.write() as uow:
        return await products.import_products(uow, request.user.id, raw)


@post(
    "/api/imports/customers", tags=["imports"], status_code=200, guards=[requires_role("admin")],
    operation_class=_CustomersUpload, responses=problems(400, 403, 415, 422),
)
async def import_customers(request: Request[CurrentUser, Any, Any], db: Database) -> CustomerImportResult:
    """Create customers with their billing address and contact, numbered and placed in
    territories like onboarded ones. All rows or none."""
    raw = await _csv_bytes(request)
    async with db.write() as uow:
        return await customers.import_customers(uow, request.user.id, raw)
