"""Who may change what in the pipeline, orders, revenue and verdicts.

Reads follow the customers a user sees (`customers_for`); writes belong to whoever answers for
the account: managers and admins everywhere, an account manager in their own portfolio.
Agents and viewers read; an agent may also count a ticket they work on against an order.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from layan.customers.models import Customer
from layan.team.models import Role, User


def can_manage(user: User, customer: Customer) -> bool:
    """Tell whether `user` may change deals, orders, revenue and verdicts of `customer`."""
    if not user.can_write:
        return False
    if user.sees_everything:
        return True
    return user.role == Role.ACCOUNT_MANAGER and customer.account_manager_id == user.pk


def require_manage(user: User | None, customer: Customer) -> None:
    """Raise PermissionDenied unless `user` may manage `customer`; None is the system."""
    if user is not None and not can_manage(user, customer):
        raise PermissionDenied(_("Only the account's manager or a manager can change this."))


def can_sell(user: User) -> bool:
    """Tell whether `user` works a portfolio at all: pitches deals, opens orders, enters revenue."""
    return user.can_write and (user.sees_everything or user.role == Role.ACCOUNT_MANAGER)


def can_approve(user: User) -> bool:
    """Managers and admins approve orders of clients whose verdict asks for it."""
    return user.can_write and user.sees_everything


def can_set_targets(user: User) -> bool:
    return user.can_write and user.sees_everything


def can_link_requests(user: User) -> bool:
    """Agents count the tickets they work on as revisions; viewers change nothing."""
    return user.can_write
