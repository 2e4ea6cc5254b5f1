"""The REST API (FastAPI): agreements, ingest, live tracking, reports, keys and webhooks."""

from accord.api.app import create_app

__all__ = ["create_app"]
