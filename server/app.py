"""create_app(): wiring only. Behaviour lives in features/ and domain/."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.di import Provide
from litestar.logging.config import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from server.config import Settings, load_settings
from server.db.engine import Database
from server.features.accounts.routes import AuthController, UserController
from server.features.accounts.views import web_routes as account_pages
from server.features.app_shell import ROUTES as app_shell_routes
from server.features.app_shell.compression import PUBLIC_COMPRESSION
from server.features.catalog import ROUTES as catalog_routes
from server.features.customers import ROUTES as customer_routes
from server.features.customers.credit_policy import configure_credit_policy
from server.features.ops.routes import healthz, readyz
from server.features.sales import ROUTES as sales_routes
from server.features.sales.jobs import QuoteExpiryJob
from server.features.sync_api import ROUTES as sync_routes
from server.features.sync_api.routes import PUSH_PATH
from server.features.territories import ROUTES as territory_routes
from server.http.errors import exception_handlers
from server.http.logging import AccessLogMiddleware
from server.http.login_throttle import LoginThrottle
from server.http.security_headers import SecurityHeadersMiddleware
from server.http.text_guard import NulTextGuard
from server.process import settle_garbage_collector
from server.security.auth import build_jwt_auth
from server.security.csrf import SessionCookieCSRFMiddleware

__all__ = ["create_app", "create_served_app"]

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"
CSRF_COOKIE = "fs_csrf"
CSRF_HEADER = "x-csrf-token"
LOGIN_PATH = "/api/auth/login"
WEB_LOGIN_PATH = "/login"

API_ROUTES: list[Any] = [
    AuthController, UserController, healthz, readyz,
    *customer_routes, *territory_routes, *catalog_routes, *sales_routes, *sync_routes,
]


def create_app(settings: Settings | None = None, db: Database | None = None) -> Litestar:
    settings = settings or load_settings()
    db = db or Database(settings.database_url)
    configure_credit_policy(settings)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    jwt_auth = build_jwt_auth(settings, lambda: db)
    csrf = CSRFConfig(
        secret=settings.secret_key, cookie_name=CSRF_COOKIE, header_name=CSRF_HEADER,
        cookie_httponly=False, cookie_samesite="strict", exclude=["^/static/"],
    )
    # Only the login endpoints are throttled: they are where passwords are guessed.
    login_rate_limit = RateLimitConfig(
        rate_limit=("minute", settings.login_rate_limit),
    )

    async def _dispose() -> None:
        await db.dispose()

    quote_expiry = QuoteExpiryJob(db, settings.quote_expiry_interval_seconds)

    app = Litestar(
        route_handlers=[
            *API_ROUTES,
            *account_pages,
            *app_shell_routes,
            create_static_files_router(path="/static", directories=[PWA_DIR / "static"], opt={"exclude_from_auth": True}, include_in_schema=False, middleware=[PUBLIC_COMPRESSION]),
        ],
        dependencies={
            "db": Provide(lambda: db, sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False),
        },
        on_app_init=[jwt_auth.on_app_init],
        middleware=[
            AccessLogMiddleware,
            SecurityHeadersMiddleware,
            DefineMiddleware(LoginThrottle, config=login_rate_limit, paths=(LOGIN_PATH, WEB_LOGIN_PATH)),
            DefineMiddleware(SessionCookieCSRFMiddleware, config=csrf),
            DefineMiddleware(NulTextGuard, exempt_paths=(PUSH_PATH,)),
        ],
        exception_handlers=exception_handlers,
        template_config=TemplateConfig(directory=PWA_DIR / "templates", engine=JinjaTemplateEngine),
        allowed_hosts=AllowedHostsConfig(allowed_hosts=list(settings.allowed_hosts)),
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Fieldsales API",
            version="1",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
            components=Components(security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
            }),
        ),
        on_startup=[quote_expiry.start],
        on_shutdown=[quote_expiry.stop, _dispose],
        # The root level follows FIELDSALES_LOG_LEVEL (Litestar's default would set INFO).
        logging_config=LoggingConfig(root={"level": settings.log_level, "handlers": ["queue_listener"]}),
        debug=False,
    )
    app.state.jwt_auth = jwt_auth
    app.state.db = db
    app.state.quote_expiry = quote_expiry
    app.state.settings = settings
    return app


def create_served_app() -> Litestar:
    """The app as `fieldsales serve` runs it: `create_app` plus the tuning that only a
    long-running server process wants (server/process.py)."""
    app = create_app()
    app.on_startup.append(settle_garbage_collector)
    return app
