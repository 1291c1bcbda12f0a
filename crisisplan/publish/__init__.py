"""Delivery: the outbox, webhooks, SMTP, the worker round and the static export."""
