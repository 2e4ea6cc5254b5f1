"""The desks Accord imports from out of the box, by the word after ``accord import``, with the
module of each importer: kept apart from the importers so that the command's help can list the
desks without loading them."""

from __future__ import annotations

BUILT_IN_DESKS: dict[str, str] = {
    "freshdesk": "accord.io.desks.freshdesk",
    "glpi": "accord.io.desks.glpi",
    "jira": "accord.io.desks.jira",
    "servicenow": "accord.io.desks.servicenow",
    "zammad": "accord.io.desks.zammad",
    "zendesk": "accord.io.desks.zendesk",
}
