from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from layan.customers.models import Customer
from layan.customers.queries import customer_for, customers_for
from layan.team.auth import api_user

router = Router()


class CustomerOut(Schema):
    id: int
    name: str
    form: str
    kind: str
    revenue_tier: str
    account_manager: str | None
    city: str


def _out(customer: Customer) -> CustomerOut:
    manager = customer.account_manager
    return CustomerOut(
        id=customer.pk,
        name=customer.name,
        form=customer.form,
        kind=customer.kind,
        revenue_tier=customer.revenue_tier,
        account_manager=manager.name if manager else None,
        city=customer.city,
    )


@router.get("", response=list[CustomerOut], summary="Customers you may see")
def customer_list(request: HttpRequest, q: str = "", limit: int = 50) -> list[CustomerOut]:
    customers = customers_for(api_user(request), search=q[:200])[: max(1, min(limit, 200))]
    return [_out(customer) for customer in customers]


@router.get("/{customer_id}", response=CustomerOut, summary="One customer")
def customer_detail(request: HttpRequest, customer_id: int) -> CustomerOut:
    return _out(customer_for(api_user(request), customer_id))
