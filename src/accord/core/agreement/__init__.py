"""Agreements as code: the SLA schema, its validation, inheritance and change log."""

from accord.core.agreement.diff import ChangeEntry, as_if_in_force, diff_agreements
from accord.core.agreement.model import Agreement, Objective
from accord.core.agreement.resolve import lineage, merge_documents, resolve, resolve_document
from accord.core.agreement.units import Bound, Duration, Period
from accord.core.agreement.validate import AgreementError, Problem, check_agreement, check_meaning

__all__ = [
    "Agreement",
    "AgreementError",
    "Bound",
    "ChangeEntry",
    "Duration",
    "Objective",
    "Period",
    "Problem",
    "as_if_in_force",
    "check_agreement",
    "check_meaning",
    "diff_agreements",
    "lineage",
    "merge_documents",
    "resolve",
    "resolve_document",
]
