"""Use cases that join the pure core and the store: tenants, agreements, ingest, live
tracking, reports and escalations. The API, the worker and the CLI call these; none of the
rules of SLA arithmetic live here."""
