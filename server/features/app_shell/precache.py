"""What the service worker precaches, and the cache version derived from it.

The version is a hash of every precached file's bytes (and of the page templates and the worker), so any
change to the app ships a new cache name and the old cache is dropped on activate; an
unchanged app keeps its cache across server restarts.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["PWA_DIR", "cache_version", "static_urls"]

PWA_DIR = Path(__file__).resolve().parents[3] / "pwa"
_STATIC = PWA_DIR / "static"
_APP_TEMPLATES = PWA_DIR / "templates" / "app"

# Precached static files: the app's styles, its modules, htmx and the icons. Other vendored
# files (test tools, the classic pages' assets) are left to the network.
_STATIC_PATTERNS = ("*.css", "js/*.js", "vendor/htmx-*.min.js", "icons/*.png")


def _static_files() -> list[Path]:
    files: set[Path] = set()
    for pattern in _STATIC_PATTERNS:
        files.update(p for p in _STATIC.glob(pattern) if p.is_file())
    return sorted(files)


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
