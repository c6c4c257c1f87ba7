"""Telling customers and other systems what happened: the outbox's events, their delivery
to webhook endpoints and by e-mail."""
