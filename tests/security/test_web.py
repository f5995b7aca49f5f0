"""Cross-cutting web defences: CSRF on every state-changing URL, escaping of every user field,
CSP on every page."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from layan.customers.tests.factories import ContactFactory, CustomerFactory, MembershipFactory
from layan.team.models import Role
from layan.team.tests.factories import UserFactory
from layan.tickets.services import ticket_note_add, ticket_reply, ticket_tags_set
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

PAYLOAD = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for item in resolver.url_patterns:
        route = prefix + str(item.pattern)
        if isinstance(item, URLResolver):
            if "admin" in route:
                continue  # Django's own admin carries Django's own CSRF tests
            found.extend(_patterns(item, route))
        else:
            found.append((route, item))
    return found


def _concrete(route: str) -> str:
    route = re.sub(r"<int:[^>]+>", "1000", route)
    route = re.sub(r"<[^>]+>", "x", route)
    return "/" + route.lstrip("^").rstrip("$")


def test_sec_c01_every_post_without_csrf_token_is_refused() -> None:
    """Walk the URLconf: no view accepts a state change without the CSRF token."""
    admin = UserFactory(role=Role.ADMIN, is_superuser=True)
    make_ticket()
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    checked = 0
    for route, _pattern in _patterns(get_resolver()):
        url = _concrete(route)
        response = client.post(url, {"text": "x", "notes": "x", "tags": "x", "language": "en"})
        if url.startswith("/api/"):
            # The API never takes the session cookie, only a bearer token a browser cannot
            # be made to send cross-site: without one, a logged-in browser gets 401.
            assert response.status_code in (401, 403, 404, 405), (url, response.status_code)
            continue
        assert response.status_code in (403, 404, 405), (url, response.status_code)
        checked += response.status_code == 403
    assert checked >= 8


def test_sec_x02_user_fields_are_escaped_everywhere(client: Client) -> None:
    """HTML typed into any field comes back as text, on every page that shows it."""
    manager = UserFactory(role=Role.MANAGER, first_name=PAYLOAD)
    customer = CustomerFactory(name=PAYLOAD, notes=PAYLOAD, city=PAYLOAD)
    contact = ContactFactory(name=PAYLOAD, preferred_name=PAYLOAD, job_title=PAYLOAD)
    MembershipFactory(contact=contact, customer=customer)
    contact.identities.create(kind="telegram", value="<b>x</b>")
    ticket = make_ticket(customer=customer, requester=contact, subject=PAYLOAD, text=PAYLOAD)
    ticket_reply(ticket=ticket, actor=manager, text=PAYLOAD)
    ticket_note_add(ticket=ticket, actor=manager, text=PAYLOAD)
    ticket_tags_set(ticket=ticket, actor=manager, names=['"><svg/onload=alert(3)>'])
    client.force_login(manager)
    pages = [
        reverse("tickets:inbox"),
        reverse("tickets:inbox") + "?q=" + "%3Cscript%3E",
        reverse("tickets:detail", args=[ticket.reference]),
        reverse("customers:list"),
        reverse("customers:detail", args=[customer.pk]),
        reverse("customers:contacts"),
        reverse("customers:contact", args=[contact.pk]),
    ]
    for url in pages:
        for headers in ({}, {"HX-Request": "true"}):
            text = client.get(url, headers=headers).text
            assert "<script>alert" not in text, url
            assert "onerror=" not in text.replace("onerror=&quot;", ""), url
            assert "<svg" not in text and "<b>x</b>" not in text, url


def test_pages_carry_a_nonce_csp_and_scripts_obey_it(client: Client) -> None:
    client.force_login(UserFactory(role=Role.ADMIN))
    response = client.get(reverse("tickets:inbox"))
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy)
    for tag in re.findall(r"<script[^>]*>", response.text):
        assert 'src="/static/' in tag or (nonce and f'nonce="{nonce.group(1)}"' in tag), tag
    assert "style=" not in response.text
    assert response["X-Frame-Options"] == "DENY"
