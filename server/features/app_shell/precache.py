"""What the service worker precaches, and the cache version derived from it.

The version is a hash of every precached file's bytes (and of the page templates and the worker), so any
change to the app ships a new cache name and the old cache is dropped on activate; an
unchanged app keeps its cache across server restarts.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

__all__ = ["PWA_DIR", "cache_version", "shell_etag", "static_urls"]

PWA_DIR = Path(__file__).resolve().parents[3] / "pwa"
_STATIC = PWA_DIR / "static"
_APP_TEMPLATES = PWA_DIR / "templates" / "app"

# Precached static files: what the /app pages use, and nothing else, because a new phone
# downloads all of it on a slow connection: the app's styles, its modules and the icon its
# pages link. The classic pages' assets (htmx, the back office's and portal's styles) and
# the install icons (the browser fetches those itself) are left to the network.
_STATIC_PATTERNS = ("app.css", "app-shell.css", "builder.css", "js/*.js", "icons/icon-192.png")
# The invoice print page's button, a classic page's script.
_NOT_THE_APPS = {"js/print-button.js"}


def _static_files() -> list[Path]:
    files: set[Path] = set()
    for pattern in _STATIC_PATTERNS:
        files.update(p for p in _STATIC.glob(pattern) if p.is_file())
    return sorted(p for p in files if p.relative_to(_STATIC).as_posix() not in _NOT_THE_APPS)


def static_urls() -> list[str]:
    return ["/static/" + p.relative_to(_STATIC).as_posix() for p in _static_files()]


def cache_version(extra: bytes = b"") -> str:
    digest = hashlib.sha256(extra)
    # The templates render the shells; sw.js is the worker itself.
    templates = sorted(p for p in _APP_TEMPLATES.rglob("*") if p.is_file())
    for path in [*_static_files(), *templates]:
        digest.update(path.as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@functools.cache
def shell_etag() -> str:
    """The shells' ETag: they change only with the app's files, which this version hashes
    (a process serves the files it started with), so the worker's revalidating precache
    gets a 304 for the shell the page has just loaded."""
    return f'"{cache_version()}"'
