"""Who may do the few things on a ticket that go beyond reading and writing it."""

from __future__ import annotations

from layan.logbook.models import Kind
from layan.team.models import Role, User

# Entries whose content a person wrote and a data-protection request can erase.
REDACTABLE = (Kind.MESSAGE, Kind.REPLY, Kind.NOTE)


def can_export_evidence(user: User) -> bool:
    """Evidence bundles include internal notes: for those who answer for the account."""
    return user.is_active and (
        user.is_superuser or user.role in (Role.ADMIN, Role.MANAGER, Role.ACCOUNT_MANAGER)
    )


def can_redact(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role == Role.ADMIN)
