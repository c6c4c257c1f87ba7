"""CSV imports of products (with prices and stock) and customers, all or nothing.

Its routes are registered through the catalog slice's ROUTES (see catalog/__init__.py).
"""
