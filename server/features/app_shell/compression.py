"""Gzip for public, data-free responses only: static files and the app shells.

The app's first load on a slow phone connection is mostly bytes. Responses that carry
secrets (pages with CSRF tokens, API answers) stay uncompressed, so compression can never
help an attacker guess a secret reflected next to their own input (BREACH).
"""

from __future__ import annotations

from litestar.config.compression import CompressionConfig
from litestar.middleware import DefineMiddleware
from litestar.middleware.compression import CompressionMiddleware

__all__ = ["PUBLIC_COMPRESSION"]

PUBLIC_COMPRESSION = DefineMiddleware(
    CompressionMiddleware,
    config=CompressionConfig(backend="gzip", minimum_size=512, gzip_compress_level=6),
)
