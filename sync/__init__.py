"""Offline sync, protocol v1: devices, exactly-once push, cursor-based pull.

This package knows nothing about orders or customers: the server registers one handler
per mutation type, and each handler calls the same feature service the online API calls.
"""
