"""create_app(): wiring only. Behaviour lives in features/ and domain/."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, cast

from litestar import Litestar
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.di import Provide
from litestar.logging.config import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from server.config import Settings, load_settings
from server.db.backup import hold_serving_lock, sqlite_file
from server.db.engine import Database
from server.features.accounts.routes import AuthController
from server.features.accounts.user_routes import UserController
from server.features.accounts.user_views import USER_PAGES
from server.features.accounts.views import web_routes as account_pages
from server.features.app_shell import ROUTES as app_shell_routes
from server.features.app_shell.compression import CachedStaticCompression
from server.features.app_shell.not_modified import NotModifiedMiddleware
from server.features.backoffice import ROUTES as backoffice_routes
from server.features.billing import ROUTES as billing_routes
from server.features.catalog import ROUTES as catalog_routes
from server.features.commission import ROUTES as commission_routes
from server.features.customers import ROUTES as customer_routes
from server.features.customers.credit_policy import configure_credit_policy
from server.features.dashboard import ROUTES as dashboard_routes
from server.features.fulfilment.routes import ROUTES as fulfilment_routes
from server.features.imports import ROUTES as import_routes
from server.features.imports.background import ImportRunner
from server.features.integrations import ROUTES as integration_routes
from server.features.inventory import ROUTES as inventory_routes
from server.features.notifications import ROUTES as notification_routes
from server.features.notifications.worker import OutboxWorker
from server.features.ops.routes import healthz, readyz
from server.features.portal import ROUTES as portal_routes
from server.features.sales import ROUTES as sales_routes
from server.features.sales.jobs import QuoteExpiryJob
from server.features.shared.viewer import register_template_helpers
from server.features.sync_api import ROUTES as sync_routes
from server.features.sync_api.routes import PUSH_PATH
from server.features.territories import ROUTES as territory_routes
from server.http.api_docs import ApiDocsRenderPlugin
from server.http.body_drain import DrainUnreadBody
from server.http.errors import exception_handlers
from server.http.logging import AccessLogMiddleware
from server.http.openapi_contract import ClosedStructSchemaPlugin, declare_public_operations
from server.http.portal_headers import PortalHeaders
from server.http.problem_docs import document_problem_answers
from server.http.security_headers import SecurityHeadersMiddleware
from server.http.text_guard import NulTextGuard
from server.process import settle_garbage_collector
from server.security.api_tokens import token_scopes
from server.security.auth import build_jwt_auth
from server.security.csrf import SessionCookieCSRFMiddleware

__all__ = ["create_app", "create_served_app"]

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"
CSRF_COOKIE = "fs_csrf"
CSRF_HEADER = "x-csrf-token"

API_ROUTES: list[Any] = [
    AuthController,
    UserController,
    healthz,
    readyz,
    *customer_routes,
    *territory_routes,
    *catalog_routes,
    *import_routes,
    *inventory_routes,
    *sales_routes,
    *fulfilment_routes,
    *billing_routes,
    *notification_routes,
    *portal_routes,
    *commission_routes,
    *dashboard_routes,
    *integration_routes,
    *sync_routes,
]


def create_app(settings: Settings | None = None, db: Database | None = None) -> Litestar:
    settings = settings or load_settings()
    db = db or Database(settings.database_url, write_transactions=settings.pg_write_transactions)
    configure_credit_policy(settings)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

    jwt_auth = build_jwt_auth(settings, lambda: db)
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_httponly=False,
        cookie_samesite="strict",
        exclude=["^/static/"],
    )
    # Outermost, so that everything after it (login limits, access log, Secure cookies,
    # HSTS) sees the client and scheme the trusted proxy reports, and nobody else's claim.
    proxies = (
        # uvicorn types its middleware with its own ASGI types, Litestar with its own.
        [
            DefineMiddleware(
                cast(Any, ProxyHeadersMiddleware), trusted_hosts=list(settings.forwarded_allow_ips)
            )
        ]
        if settings.forwarded_allow_ips
        else []
    )

    async def _dispose() -> None:
        await db.dispose()

    quote_expiry = QuoteExpiryJob(db, settings.quote_expiry_interval_seconds)
    import_runner = ImportRunner()
    outbox = OutboxWorker(db, settings)

    app = Litestar(
        route_handlers=[
            *API_ROUTES,
            *account_pages,
            *USER_PAGES,
            *backoffice_routes,
            *app_shell_routes,
            create_static_files_router(
                path="/static",
                directories=[PWA_DIR / "static"],
                opt={"exclude_from_auth": True},
                include_in_schema=False,
                # Outside the compression: a 304 is decided on the file's ETag, and has no body.
                middleware=[NotModifiedMiddleware, CachedStaticCompression],
            ),
        ],
        dependencies={
            "db": Provide(lambda: db, sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False),
        },
        on_app_init=[jwt_auth.on_app_init],
        plugins=[HTMXPlugin(), ClosedStructSchemaPlugin()],
        middleware=[
            *proxies,
            SecurityHeadersMiddleware,
            DefineMiddleware(SessionCookieCSRFMiddleware, config=csrf, settings=settings),
            DefineMiddleware(NulTextGuard, exempt_paths=(PUSH_PATH,)),
        ],
        # Every route is closed to API tokens unless it names the scope it needs.
        guards=[token_scopes],
        exception_handlers=exception_handlers,
        template_config=TemplateConfig(
            directory=PWA_DIR / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=register_template_helpers,
        ),
        allowed_hosts=AllowedHostsConfig(allowed_hosts=list(settings.allowed_hosts)),
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Fieldsales API",
            version="1",
            path="/schema",
            render_plugins=[ApiDocsRenderPlugin(csrf_cookie=CSRF_COOKIE, csrf_header=CSRF_HEADER)],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http", scheme="bearer", bearer_format="JWT or fs_live_ API token"
                    ),
                }
            ),
        ),
        on_startup=[quote_expiry.start, outbox.start],
        on_shutdown=[quote_expiry.stop, outbox.stop, import_runner.stop, _dispose],
        # The root level follows FIELDSALES_LOG_LEVEL (Litestar's default would set INFO).
        logging_config=LoggingConfig(
            root={"level": settings.log_level, "handlers": ["queue_listener"]}
        ),
        debug=False,
    )
    # Outside Litestar's exception handling and routing: the log sees the status each
    # client was sent, also for refusals made before any route runs (unknown paths, a
    # missing login, a middleware's refusal), and every refusal waits for the body.
    app.asgi_handler = AccessLogMiddleware(DrainUnreadBody(PortalHeaders(app.asgi_handler)))
    document_problem_answers(app)
    declare_public_operations(app)
    app.state.jwt_auth = jwt_auth
    app.state.csrf_config = csrf
    app.state.db = db
    app.state.quote_expiry = quote_expiry
    app.state.import_runner = import_runner
    app.state.outbox = outbox
    app.state.settings = settings
    return app


def create_served_app() -> Litestar:
    """The app as `fieldsales serve` runs it: `create_app` plus the tuning that only a
    long-running server process wants (server/process.py)."""
    app = create_app()
    app.on_startup.append(settle_garbage_collector)
    db_file = sqlite_file(app.state.settings.database_url)
    if db_file is not None:
        # Held for the process's life: `fieldsales db restore` refuses while it is.
        app.state.serving_lock = hold_serving_lock(db_file)
    return app
