"""The inbox's rows, written in Python (`inbox_rows`): escaped like a template, labelled like
the model's own `get_..._display()`, in the reader's language."""

from __future__ import annotations

import pytest
from django.utils.translation import override

from layan.tickets.models import Category, Priority, Status
from layan.tickets.templatetags.ticket_tags import inbox_rows
from layan.tickets.tests.factories import make_ticket


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["id", "en"])
def test_rows_carry_the_models_labels_and_escape_what_customers_wrote(language: str) -> None:
    tickets = []
    for status, priority, category in zip(Status, Priority, Category, strict=False):
        ticket = make_ticket(subject=f"<script>alert('{status}')</script> & co")
        ticket.status, ticket.priority, ticket.category = status, priority, category
        ticket.save(update_fields=["status", "priority", "category"])
        tickets.append(ticket)
    with override(language):
        html = inbox_rows(tickets)
        rows = html.split("\n")
        assert len(rows) == len(tickets)
        for row, ticket in zip(rows, tickets, strict=True):
            assert f">{ticket.get_status_display()}</span>" in row
            assert f">{ticket.get_priority_display()}</span>" in row
            assert f"{ticket.get_category_display()}</span>" in row
            assert "<script>" not in row
            assert "&lt;script&gt;alert(&#x27;" in row
            assert "&amp; co" in row
