"""Reads of tickets, always scoped to the user asking."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.dateparse import parse_datetime

from layan.channels.models import TicketLink
from layan.core.reads import PreparedRead, PreparedValues
from layan.customers.models import Contact, Customer
from layan.customers.queries import customers_for
from layan.insight.coach import CoachReport, coach_reply
from layan.knowledge.models import Article, CannedReply, ChecklistItem
from layan.knowledge.placeholders import placeholders_fill
from layan.knowledge.queries import (
    article_for,
    canned_replies_for,
    checklist_for,
    panel_articles,
)
from layan.logbook.models import Entry, EntryAttachment
from layan.search.queries import ticket_match
from layan.search.terms import reference_in
from layan.sla.models import TicketSla
from layan.team.models import Role, Team, User
from layan.tickets.models import (
    ACTIVE_STATUSES,
    ANGRY_AT,
    DONE_STATUSES,
    Status,
    Survey,
    Tag,
    Ticket,
)
from layan.tickets.playbook import GUIDES
from layan.tickets.satisfaction import token_digest


def tickets_for(user: User) -> QuerySet[Ticket]:
    """Return the tickets `user` may see.

    Managers and admins see everything; an account manager sees their portfolio's tickets and
    the ones they own; agents and viewers see their teams' tickets and the ones they own.
    """
    tickets = Ticket.objects.all()
    scope, teams = _scope_and_teams(user)
    if scope == "none":
        return tickets.none()
    return _scoped(tickets, scope, user=user.pk, teams=teams)


def _scope_and_teams(user: User) -> tuple[str, list[int]]:
    """`user`'s rule (`_scope`) and, under "teams", their teams' ids (one query)."""
    scope = _scope(user)
    teams = [team for (team,) in _teams_of.rows(user=user.pk)] if scope == "teams" else []
    return scope, teams


# An agent's teams, asked by every page that lists or opens their tickets.
_teams_of = PreparedValues(
    lambda *, user: (
        Team.members.through.objects.filter(user_id=user).order_by("team_id").values_list("team_id")
    ),
    user=int,
)


def _scope(user: User) -> str:
    """Which rule decides what `user` sees: "none", "all", "portfolio" or "teams"."""
    if not user.is_active:
        return "none"
    if user.sees_everything:
        return "all"
    return "portfolio" if user.role == Role.ACCOUNT_MANAGER else "teams"


def _scoped(tickets: QuerySet[Ticket], scope: str, *, user: int, teams: Any) -> QuerySet[Ticket]:
    """`tickets` narrowed to what the user `user` sees under `scope` ("all", "portfolio" or
    "teams"); `teams`: that user's team ids, as a list or a subquery."""
    if scope == "all":
        return tickets
    if scope == "portfolio":
        return tickets.filter(Q(customer__account_manager_id=user) | Q(owner_id=user))
    return tickets.filter(Q(team_id__in=teams) | Q(owner_id=user))


# An inbox of this many teams or fewer is read a branch at a time (`_scope_branches`).
BRANCHES_MAX = 8


def _scope_branches(teams: list[int], *, user: int) -> list[Q] | None:
    """What an agent sees, as branches that each have an index in inbox order: one per team
    and the tickets they own; None when there are too many teams to read one by one.

    `team_id IN (...) OR owner_id = ?` has no index in inbox order: SQLite read every active
    ticket of both sides through two indexes, fetched each with its joined rows and sorted them
    (13.6 ms for an agent of a team of 12,000 active tickets at 100,000 tickets). Each branch
    alone walks its own index (`ticket_active_team`, `ticket_active_owner` for the default
    view) and stops at a page, so the inbox reads a page of ids per branch, then those tickets.
    """
    if len(teams) > BRANCHES_MAX:
        return None
    return [*(Q(team_id=team) for team in teams), Q(owner_id=user)]


# Keys and the reference are 64-bit columns: a number beyond them names no ticket (and would
# overflow the driver's integer).
_KEY_MAX = 2**63 - 1


def _ticket_visible(scope: str, *, reference: int, user: int) -> QuerySet[Ticket]:
    """The ticket `reference` if the user `user` may see it, as `tickets_for` decides, in the
    shape `ticket_for` reads; `scope` is that user's rule ("all", "portfolio" or "teams")."""
    tickets = Ticket.objects.filter(reference=reference).select_related(
        # The customer's account manager is named on the ticket page.
        "customer__account_manager",
        "requester",
        "owner",
        "team",
        "chain",
    )
    teams = Team.members.through.objects.filter(user_id=user).values("team_id")
    return _scoped(tickets, scope, user=user, teams=teams)


# Every ticket page, and the API's ticket, asks this first: built once per scope (see
# `layan.core.reads`); compiling its six joined tables cost more than running it.
_ticket_visible_read = PreparedRead(_ticket_visible, reference=int, user=int)


def ticket_for(user: User, reference: int | str) -> Ticket:
    """Return one ticket by its reference if `user` may see it, else 404 (never 403)."""
    return _found(_ticket_visible_read, user, reference)


def _found(read: PreparedRead[Ticket], user: User, reference: int | str) -> Ticket:
    """The ticket `read` finds by reference within what `user` sees, else 404."""
    number = _reference_number(reference)
    scope = _scope(user)
    if scope == "none":
        raise Http404("No such ticket")
    ticket = read.one(scope, reference=number, user=user.pk)
    if ticket is None:
        raise Http404("No such ticket")
    return ticket


def _reference_number(reference: int | str) -> int:
    try:
        number = int(str(reference).lstrip("#"))
    except (TypeError, ValueError) as error:
        raise Http404("No such ticket") from error
    if not 0 <= number <= _KEY_MAX:
        raise Http404("No such ticket")
    return number


def _ticket_key_visible(scope: str, *, reference: int, user: int) -> QuerySet[Ticket]:
    """`_ticket_visible` with only the ticket's key and reference."""
    tickets = Ticket.objects.filter(reference=reference).only("pk", "reference")
    teams = Team.members.through.objects.filter(user_id=user).values("team_id")
    return _scoped(tickets, scope, user=user, teams=teams)


# Every reply and note through the API asks this first: built once per scope.
_ticket_key_read = PreparedRead(_ticket_key_visible, reference=int, user=int)


def ticket_key_for(user: User, reference: int | str) -> Ticket:
    """The same check as `ticket_for`, with only the ticket's key and reference read: for a
    write whose service locks the ticket and reads it whole itself (a reply, a note), so that
    the row and its six related rows are not read and built twice."""
    return _found(_ticket_key_read, user, reference)


STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "active": tuple(ACTIVE_STATUSES),
    "done": tuple(DONE_STATUSES),
    **{status.value: (status.value,) for status in Status},
}


@dataclass(frozen=True)
class InboxFilters:
    status: str = "active"  # a key of STATUS_GROUPS, or "" for all
    owner: str = ""  # "", "me", "none", or a user id
    team: int | None = None
    priority: str = ""
    customer: int | None = None
    category: str = ""
    mood: str = ""  # "", "angry" or "abusive": the customer's latest message
    q: str = ""
    sort: str = "activity"  # a key of INBOX_SORTS


@dataclass(frozen=True)
class InboxSort:
    """An order of the inbox: a key column and the id, walked by keyset.

    `nulls_last` keys (the SLA deadline) put tickets without a value after all others.
    """

    key: str
    descending: bool
    nulls_last: bool = False


# "due": the soonest SLA deadline of a running metric (overdue ones first), tickets without one
# last. The SLA app keeps that deadline in `sla.next_due_at` (a string lookup: it sits above us).
# "anger": the angriest latest customer message first, so the hottest conversations come first.
INBOX_SORTS = {
    "activity": InboxSort("updated_at", descending=True),
    "due": InboxSort("sla__next_due_at", descending=False, nulls_last=True),
    "anger": InboxSort("anger", descending=True),
}


@dataclass(frozen=True)
class InboxPage:
    tickets: list[Ticket]
    next_cursor: str  # "" on the last page


def inbox_cursor(ticket: Ticket, sort: str = "activity") -> str:
    """Return the position just after `ticket` in `sort` order, opaque to the client."""
    value = getattr(ticket, "inbox_key", None)
    if value is None and sort == "activity":
        value = ticket.updated_at
    stamp = (
        "" if value is None else value.isoformat() if isinstance(value, datetime) else repr(value)
    )
    raw = f"{sort}|{stamp}|{ticket.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_position(cursor: str, sort: str = "activity") -> tuple[object, int] | None:
    """Decode a cursor of `sort`; anything malformed means "first page", never an error.

    A position may have no key value: the page ended among tickets without one (nulls last).
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        marker, stamp, pk = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        if marker != sort:
            return None
        if not stamp:
            return (None, int(pk)) if INBOX_SORTS[sort].nulls_last else None
        value: object
        if sort == "anger":
            value = float(stamp)
            if not math.isfinite(value):
                return None
        else:
            value = parse_datetime(stamp)
            if value is None or value.tzinfo is None:
                return None
        return value, int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError):
        return None


def _after(position: tuple[object, int], order: InboxSort) -> Q:
    """Return the keyset condition for the rows after `position` in `order`."""
    value, pk = position
    if value is None:  # among the nulls, which come last
        return Q(inbox_key__isnull=True, pk__gt=pk)
    beyond, tie = ("lt", "lt") if order.descending else ("gt", "gt")
    condition = Q(**{f"inbox_key__{beyond}": value}) | Q(inbox_key=value, **{f"pk__{tie}": pk})
    if order.nulls_last:
        condition |= Q(inbox_key__isnull=True)
    return condition


def _status_in_literally(statuses: tuple[str, ...]) -> RawSQL:
    """`status IN ('open', ...)` with the values written in, not bound.

    A partial index is used only when the query repeats its condition, and SQLite cannot match
    bound parameters against it: the inbox's partial indexes (`ticket_active_*`) need the
    literal list, in the same order as `STATUS_GROUPS["active"]`. The values are our own status
    names, never input.
    """
    assert all(status.isidentifier() and status.islower() for status in statuses)
    listed = ", ".join(f"'{status}'" for status in statuses)
    column = f'"{Ticket._meta.db_table}"."status"'
    return RawSQL(f"{column} IN ({listed})", [], output_field=BooleanField())  # noqa: S611


# Columns of the joined rows that no list shows; the temperament series and evidence are
# JSON documents that would be decoded for every row.
_LIST_UNUSED = [
    f"{relation}__{field}"
    for relation in ("customer", "requester")
    for field in ("temperament_series", "temperament_evidence", "notes")
] + ["owner__password"]


# What the inbox's rows show (`inbox_rows`), for `inbox_for(..., columns=...)`: a row of the
# ticket and its four joined rows has about 110 columns, 36 of them times that the driver
# converts one by one, where the list shows a dozen and the SLA's times.
INBOX_ROW_COLUMNS = (
    "reference",
    "subject",
    "status",
    "priority",
    "category",
    "updated_at",
    "anger",
    "abusive",
    "customer__name",
    "customer__kind",  # `is_internal`
    "requester__name",
    "owner__display_name",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "team__name",
    # The due column reads every metric of the SLA row (`TicketSla.due_state_at`).
    *(f"sla__{field.name}" for field in TicketSla._meta.concrete_fields if field.name != "ticket"),
)


def inbox_for(
    user: User,
    filters: InboxFilters,
    *,
    cursor: str = "",
    page_size: int = 50,
    columns: Sequence[str] = (),
) -> InboxPage:
    """Return one page of the inbox in the chosen order, with keyset pagination.

    Keyset on (key, id) keeps every page as cheap as the first, however deep; each order has an
    index that serves it (see `Ticket.Meta.indexes`). With `columns`, the tickets and their
    joined rows hold only those (`INBOX_ROW_COLUMNS` for the inbox's rows); any other field
    read costs a query per ticket.
    """
    scope, teams = _scope_and_teams(user)
    if scope == "none" or not _keys_fit(filters):
        return InboxPage(tickets=[], next_cursor="")
    branches = _scope_branches(teams, user=user.pk) if scope == "teams" else None
    sort = filters.sort if filters.sort in INBOX_SORTS else "activity"
    position = _cursor_position(cursor, sort) if cursor else None
    limit = page_size + 1  # one more tells whether a next page follows
    if position is None and not filters.q:  # a first page: statements built once
        if branches is None and scope in {"all", "portfolio"}:
            rows = _inbox_first_page(
                scope, user=user.pk, filters=filters, columns=columns, limit=limit
            )
            return _inbox_page_cut(rows, page_size, sort)
        if branches is not None:
            rows = _inbox_branches_first(
                teams, user=user.pk, filters=filters, columns=columns, limit=limit
            )
            return _inbox_page_cut(rows, page_size, sort)
    tickets = _inbox_tickets(
        scope if branches is None else "branches",
        user=user.pk,
        teams=teams,
        filters=filters,
        columns=columns,
    )
    if position is not None:
        tickets = tickets.filter(_after(position, INBOX_SORTS[sort]))
    if branches is not None:
        # The page is among the first page_size + 1 tickets of each branch.
        chosen: set[int] = set()
        for branch in branches:
            chosen.update(tickets.filter(branch).values_list("pk", flat=True)[:limit])
        tickets = tickets.filter(pk__in=chosen)
    return _inbox_page_cut(list(tickets[:limit]), page_size, sort)


def _inbox_page_cut(rows: list[Ticket], page_size: int, sort: str) -> InboxPage:
    """The page of the first `page_size` of `rows` (read one beyond, to know if more follow)."""
    next_cursor = inbox_cursor(rows[page_size - 1], sort) if len(rows) > page_size else ""
    return InboxPage(tickets=rows[:page_size], next_cursor=next_cursor)


def _inbox_tickets(
    scope: str, *, user: int, teams: Any, filters: InboxFilters, columns: Sequence[str]
) -> QuerySet[Ticket]:
    """The inbox's tickets in `filters.sort` order (key as `inbox_key`, then id), from any
    position: what the user `user` sees under `scope` ("branches": left to the caller's
    branches), narrowed by `filters`, with `columns` (or all but `_LIST_UNUSED`)."""
    tickets = Ticket.objects.all()
    if scope != "branches":  # the scope as a condition of the one query
        tickets = _scoped(tickets, scope, user=user, teams=teams)
    tickets = tickets.select_related("customer", "requester", "owner", "team", "sla")
    tickets = tickets.only(*columns) if columns else tickets.defer(*_LIST_UNUSED)
    if filters.status in STATUS_GROUPS:
        tickets = tickets.filter(_status_in_literally(STATUS_GROUPS[filters.status]))
    if filters.owner == "me":
        tickets = tickets.filter(owner_id=user)
    elif filters.owner == "none":
        tickets = tickets.filter(owner__isnull=True)
    elif filters.owner.isdigit():
        tickets = tickets.filter(owner_id=int(filters.owner))
    if filters.team is not None:
        tickets = tickets.filter(team_id=filters.team)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.category:
        tickets = tickets.filter(category=filters.category)
    if filters.customer is not None:
        tickets = tickets.filter(customer_id=filters.customer)
    if filters.mood == "angry":
        tickets = tickets.filter(anger__gte=ANGRY_AT)
    elif filters.mood == "abusive":
        tickets = tickets.filter(abusive=True)
    if filters.q:
        tickets = tickets.filter(ticket_match(filters.q))
    order = INBOX_SORTS[filters.sort if filters.sort in INBOX_SORTS else "activity"]
    tickets = tickets.annotate(inbox_key=F(order.key))
    key = F("inbox_key").desc() if order.descending else F("inbox_key").asc(nulls_last=True)
    return tickets.order_by(key, "-pk" if order.descending else "pk")


def _inbox_shape(filters: InboxFilters) -> InboxFilters:
    """What decides the statement of `filters`: the status group, mood and order as chosen
    (unknown ones as `_inbox_tickets` reads them), and for the owner's key, team, priority,
    category and customer only whether each is set (their values are the statement's)."""
    owner = filters.owner
    return InboxFilters(
        status=filters.status if filters.status in STATUS_GROUPS else "",
        owner="id" if owner.isdigit() else owner if owner in {"me", "none"} else "",
        team=None if filters.team is None else 0,
        priority="set" if filters.priority else "",
        category="set" if filters.category else "",
        customer=None if filters.customer is None else 0,
        mood=filters.mood if filters.mood in {"angry", "abusive"} else "",
        sort=filters.sort if filters.sort in INBOX_SORTS else "activity",
    )


def _inbox_page_of(
    scope: str,
    shape: InboxFilters,
    columns: tuple[str, ...],
    limit: int | None,
    *,
    user: int,
    owner: int,
    team: int,
    priority: str,
    category: str,
    customer: int,
) -> QuerySet[Ticket]:
    """`_inbox_tickets`' first `limit` rows (all of them with None) for filters of this
    `shape` (`_inbox_shape`), the set ones taking the values given."""
    filters = replace(
        shape,
        owner=str(owner) if shape.owner == "id" else shape.owner,
        team=None if shape.team is None else team,
        priority=priority if shape.priority else "",
        category=category if shape.category else "",
        customer=None if shape.customer is None else customer,
    )
    tickets = _inbox_tickets(scope, user=user, teams=[], filters=filters, columns=columns)
    return tickets if limit is None else tickets[:limit]


def _inbox_branch_of(
    branch: str, shape: InboxFilters, limit: int, *, key: int, **values: Any
) -> QuerySet[Ticket, tuple[Any, ...]]:
    """The ids of the first `limit` tickets of one branch of an agent's inbox
    (`_scope_branches`): the team `key`'s ("team") or the user's own ("owner"), for filters of
    this `shape` with the `values` given (`_inbox_values`)."""
    tickets = _inbox_page_of("branches", shape, (), None, **values)
    if branch == "team":
        return tickets.filter(team_id=key).values_list("pk")[:limit]
    return tickets.filter(owner_id=values["user"]).values_list("pk")[:limit]


def _inbox_chosen_of(
    shape: InboxFilters, columns: tuple[str, ...], limit: int, *, ids: list[int], **values: Any
) -> QuerySet[Ticket]:
    """The first `limit` of the tickets `ids` (the branches' first ones), in the inbox's order,
    for filters of this `shape` with the `values` given."""
    return _inbox_page_of("branches", shape, columns, None, **values).filter(pk__in=ids)[:limit]


# The values every inbox statement takes (`_inbox_values`).
_VALUES = {
    "user": int,
    "owner": int,
    "team": int,
    "priority": str,
    "category": str,
    "customer": int,
}
# An agent's first page without a keyword, built once per shape of filters: each branch's ids,
# then the page's tickets among them.
_inbox_branch = PreparedValues(_inbox_branch_of, **_VALUES, key=int)
_inbox_chosen = PreparedRead(_inbox_chosen_of, **_VALUES, ids=list)


# The first page of an inbox that needs no keyword and no per-team branches (everyone's, or an
# account manager's portfolio: the inbox most pages show), built once per shape of filters:
# building it cost about a fifth of the inbox's query.
_inbox_page = PreparedRead(_inbox_page_of, **_VALUES)


def _keys_fit(filters: InboxFilters) -> bool:
    """Whether the owner, team and customer the filters name fit the key columns: a larger
    number (`?owner=` in the API takes any digits) names no ticket, and the driver would refuse
    it rather than find none."""
    keys = [filters.team, filters.customer, int(filters.owner) if filters.owner.isdigit() else 0]
    return all(key is None or -_KEY_MAX - 1 <= key <= _KEY_MAX for key in keys)


def _inbox_first_page(
    scope: str, *, user: int, filters: InboxFilters, columns: Sequence[str], limit: int
) -> list[Ticket]:
    shape = _inbox_shape(filters)
    return _inbox_page.all(scope, shape, tuple(columns), limit, **_inbox_values(user, filters))


def _inbox_branches_first(
    teams: list[int], *, user: int, filters: InboxFilters, columns: Sequence[str], limit: int
) -> list[Ticket]:
    """An agent's first `limit` tickets: among the first `limit` of each team's branch and of
    the user's own, read by their ids."""
    shape, values = _inbox_shape(filters), _inbox_values(user, filters)
    chosen = {
        pk
        for team in teams
        for (pk,) in _inbox_branch.rows("team", shape, limit, **values, key=team)
    }
    chosen.update(pk for (pk,) in _inbox_branch.rows("owner", shape, limit, **values, key=0))
    if not chosen:
        return []
    return _inbox_chosen.all(shape, tuple(columns), limit, **values, ids=sorted(chosen))


def _inbox_values(user: int, filters: InboxFilters) -> dict[str, Any]:
    """The values an inbox statement of `filters`' shape takes (`_inbox_shape`)."""
    return {
        "user": user,
        "owner": int(filters.owner) if filters.owner.isdigit() else 0,
        "team": filters.team or 0,
        "priority": filters.priority,
        "category": filters.category,
        "customer": filters.customer or 0,
    }


@dataclass(frozen=True)
class SearchShortcuts:
    """What a keyword names besides conversations: a ticket by reference, customers by name."""

    ticket: Ticket | None
    customers: list[Customer]


def search_shortcuts(user: User, text: str, *, limit: int = 5) -> SearchShortcuts:
    reference = reference_in(text)
    ticket = None
    if reference is not None:
        ticket = tickets_for(user).filter(reference=reference).first()
    customers = list(customers_for(user, search=text)[:limit]) if text.strip() else []
    return SearchShortcuts(ticket=ticket, customers=customers)


# A ticket page and its transcript list every entry: built once (see `layan.core.reads`);
# compiling the entry's four related rows cost more than reading them.
_timeline = PreparedRead(
    lambda chain: (
        Entry.objects.filter(chain_id=chain)
        # "outbound" is the mail the channels app queued for a reply (delivery status).
        .select_related("actor_user", "actor_contact", "outbound", "tone")
        .order_by("seq")
    ),
    chain=int,
)


_timeline_files = PreparedRead(
    lambda chain: EntryAttachment.objects.filter(entry__chain_id=chain).order_by(
        "entry_id", "position"
    ),
    chain=int,
)


def ticket_timeline(ticket: Ticket) -> list[Entry]:
    """Return the entries of an already-authorised ticket, oldest first, ready to render:
    their actors, tones and outbound mail read with them, and their attachments in order
    (`Entry.files`)."""
    entries = _timeline.all(chain=ticket.chain_id)
    files: dict[int, list[EntryAttachment]] = {}
    for attachment in _timeline_files.all(chain=ticket.chain_id):
        files.setdefault(attachment.entry_id, []).append(attachment)
    for entry in entries:
        entry.files = files.get(entry.pk, [])
    return entries


# The ticket page's side: its tags, and the tickets linked to it with their numbers and subjects.
_tag_names = PreparedValues(
    lambda ticket: Tag.objects.filter(tickets=ticket).order_by("name").values_list("name"),
    ticket=int,
)
_links = PreparedRead(
    lambda ticket: (
        TicketLink.objects.filter(ticket_id=ticket)
        .select_related("other")
        .only("reason", "other__reference", "other__subject")
        .order_by("created_at", "pk")
    ),
    ticket=int,
)


def ticket_tag_names(ticket: Ticket) -> list[str]:
    """Return the names of an authorised ticket's tags, by name."""
    return [name for (name,) in _tag_names.rows(ticket=ticket.pk)]


def ticket_links(ticket: Ticket, *, user: User) -> list[TicketLink]:
    """Return the links of an authorised ticket to tickets `user` may see too, oldest first,
    with the linked tickets' references and subjects (another team's ticket is not named)."""
    links = _links.all(ticket=ticket.pk)
    if not links:
        return links
    visible = set(
        tickets_for(user)
        .filter(pk__in=[link.other_id for link in links])
        .values_list("pk", flat=True)
    )
    return [link for link in links if link.other_id in visible]


# What the API shows of each entry: its own columns, no related rows.
TIMELINE_FIELDS = (
    "seq",
    "kind",
    "direction",
    "channel",
    "actor",
    "occurred_at",
    "subject",
    "text",
    "redacted",
)
_timeline_rows = PreparedValues(
    lambda chain: (
        Entry.objects.filter(chain_id=chain).order_by("seq").values_list(*TIMELINE_FIELDS)
    ),
    chain=int,
)


def ticket_timeline_fields(ticket: Ticket) -> list[dict[str, Any]]:
    """Return the entries of an already-authorised ticket, oldest first, as `TIMELINE_FIELDS`
    by name: for a client that needs no actor, attachment or delivery rows."""
    rows = _timeline_rows.rows(chain=ticket.chain_id)
    return [dict(zip(TIMELINE_FIELDS, row, strict=True)) for row in rows]


# What a customer's or a contact's list of tickets shows (`ticket_list_rows`); any other field
# read costs a query per ticket.
LIST_ROW_COLUMNS = ("reference", "subject", "status", "updated_at")


def customer_tickets(customer: Customer, *, user: User, limit: int = 50) -> list[Ticket]:
    """Return the newest tickets of an authorised customer that `user` may see, with the
    columns their list shows and their requesters' names."""
    return list(
        tickets_for(user)
        .filter(customer=customer)
        .select_related("requester")
        .only(*LIST_ROW_COLUMNS, "requester__name")
        .order_by("-updated_at", "-pk")[:limit]
    )


def contact_tickets(contact: Contact, *, user: User, limit: int = 50) -> list[Ticket]:
    """Return the newest tickets of an authorised contact that `user` may see, with the
    columns their list shows and their customers' names."""
    return list(
        tickets_for(user)
        .filter(requester=contact)
        .select_related("customer")
        .only(*LIST_ROW_COLUMNS, "customer__name")
        .order_by("-updated_at", "-pk")[:limit]
    )


def assignable_owners() -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        role__in=[Role.ADMIN, Role.MANAGER, Role.ACCOUNT_MANAGER, Role.AGENT],
    ).order_by("first_name", "username")


# The owner and team choices the inbox and every ticket page show: the same rows as the
# querysets, read with statements built once per connection (building them cost more than
# running them).
_owners_shown = PreparedRead(assignable_owners)
_teams_shown = PreparedRead(lambda: Team.objects.all())


def owner_choices() -> list[User]:
    """Return the staff a ticket can be given to, in the order the choices show them."""
    return _owners_shown.all()


def team_choices() -> list[Team]:
    """Return every team, by name."""
    return _teams_shown.all()


def ticket_coach(ticket: Ticket, draft: str) -> CoachReport:
    """Return the reply coach's advice on `draft` for an authorised ticket: addressed to its
    requester, in their language, knowing our fault assessment and our last replies."""
    contact = ticket.requester
    previous = list(
        Entry.objects.filter(chain_id=ticket.chain_id, kind="reply")
        .order_by("-seq")
        .values_list("text", flat=True)[:3]
    )
    return coach_reply(
        draft,
        language=contact.language if contact.language in ("id", "en") else "auto",
        honorific=contact.honorific,
        preferred_name=contact.preferred_name or contact.name.split(" ")[0],
        full_name=contact.name,
        fault=getattr(ticket, "fault", "") or "",
        previous_replies=previous,
    )


def ticket_playbook(ticket: Ticket, *, user: User, language: str) -> dict[str, object]:
    """What the ticket page needs for the complaint playbook, the checklist and canned replies."""
    checklist = checklist_for(ticket.category)
    handover = ""
    if ticket.handover_pending and ticket.owner_id == user.pk:
        handover = (
            Entry.objects.filter(chain_id=ticket.chain_id, kind="owner")
            .order_by("-seq")
            .values_list("text", flat=True)
            .first()
            or ""
        )
    return {
        "playbook": GUIDES if ticket.is_complaint else (),
        "checklist": checklist,
        "ticked": set(ticket.ticks.values_list("item_id", flat=True)) if checklist else set(),
        "canned": canned_replies_for(
            stage=ticket.stage, category=ticket.category, fault=ticket.fault
        )[:6],
        "articles": panel_articles(user),
        "handover_note": handover,
        "language": language,
    }


def checklist_item_for(ticket: Ticket, item_id: int) -> ChecklistItem:
    """A question of the checklist of this ticket's category, or 404."""
    item = ChecklistItem.objects.filter(pk=item_id, checklist__category=ticket.category).first()
    if item is None:
        raise Http404("No such question")
    return item


def canned_text(ticket: Ticket, canned_id: int) -> str:
    """A canned reply filled in for an authorised ticket, in its requester's language."""
    reply = CannedReply.objects.filter(pk=canned_id, active=True).first()
    if reply is None:
        raise Http404("No such canned reply")
    contact = ticket.requester
    values = {
        "name": contact.address_name or contact.name,
        "ticket": ticket.ref,
        "owner": ticket.owner.name if ticket.owner else "",
        "customer": ticket.customer.name,
    }
    return placeholders_fill(reply.body(contact.language), values)


def citation_for(user: User, slug: str, *, language: str) -> tuple[dict[str, object], str]:
    """Return what a reply records when it cites an article (its current version), and the
    line added to the reply when the article may be shown to customers."""
    article = article_for(user, slug)
    version = article.latest
    assert version is not None
    record = {"article": article.slug, "version": version.number, "title": version.title_id}
    line = ""
    if article.visibility == Article.Visibility.PUBLIC:
        line = f"\n\n— {version.title(language)} (v{version.number})"
    return record, line


def survey_by_token(token: str) -> Survey | None:
    """The survey a link's token opens (the token is the only key: no login)."""
    if not token or len(token) > 100:
        return None
    return (
        Survey.objects.select_related("ticket__requester", "ticket__owner", "ticket__customer")
        .filter(token_sha256=token_digest(token))
        .first()
    )


def testimonials() -> QuerySet[Survey]:
    """Quotes customers allowed us to publish, and have not withdrawn, newest first."""
    return (
        Survey.objects.filter(consent=Survey.Consent.GIVEN, revoked_at__isnull=True)
        .exclude(comment="")
        .select_related("ticket__customer")
        .order_by("-answered_at")
    )
