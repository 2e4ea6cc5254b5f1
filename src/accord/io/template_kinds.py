"""The kinds of agreement ``accord new`` drafts from its templates, each in a few words, and
those written as several levels: apart from the drafting (:mod:`accord.io.templates`) so that
the command's help lists them without loading it."""

from __future__ import annotations

KINDS: dict[str, str] = {
    "it-service-desk": "IT service desk: first response and resolution by priority P1-P4, "
    "office hours and around the clock, escalation, a termination right",
    "saas": "SaaS availability with service credits by band, maintenance windows, support",
    "isp": "Internet access: speed, availability and repair time, with penalties",
    "internal": "An internal department's promise (marketing to sales: qualified leads a "
    "month, first contact within a business day)",
    "vendors": "Several providers measured on common metrics, each with its own fee",
    "multi-level": "Three levels, each refining the one above: the provider's corporate "
    "terms, the customer's agreement, one service's (written as three files into a folder)",
}
LEVELS: dict[str, tuple[str, ...]] = {
    "multi-level": ("corporate.yaml", "customer.yaml", "service.yaml"),
}
"""The templates of several levels: their files, the most general first."""
