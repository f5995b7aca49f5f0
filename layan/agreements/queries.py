"""Reads of the pipeline, orders, agreements, revenue and verdicts, scoped to the user asking.

Everything a user reads here hangs off a customer they may see (`customers_for`), so the
scope of deals, orders and revenue is exactly the scope of customers: managers everything,
an account manager their portfolio, agents and viewers the customers of their tickets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string

from layan.agreements import commitments
from layan.agreements.links import link_token, link_valid
from layan.agreements.models import (
    Agreement,
    AgreementAttachment,
    AgreementStatus,
    Deal,
    DealMove,
    Invoice,
    Order,
    OrderRequest,
    OrderStatus,
    RequestKind,
    Revenue,
    Stage,
    Target,
    Verdict,
)
from layan.agreements.permissions import can_manage
from layan.agreements.scope import ScopeHint, price_comparisons, scope_hint
from layan.agreements.verdicts import SignalCounts, trouble_score, verdict_suggest
from layan.core import clock
from layan.core.http import url_by_number
from layan.core.reads import PreparedRead, PreparedValues
from layan.customers.models import Customer
from layan.customers.queries import customers_for
from layan.insight.analysis import predict
from layan.logbook.models import Direction, Entry, Kind
from layan.team.models import Role, User

# The ticket statuses that still need work, spelled out because this app sits below tickets
# and reads them through string lookups only.
ACTIVE_TICKET_STATUSES = ("open", "waiting_customer", "waiting_third_party")
COMPLAINT = "complaint"
# How many of a customer's newest inbound messages the verdict suggestion reads.
SIGNAL_MESSAGES = 300


def _ticket_model() -> Any:
    return apps.get_model("tickets", "Ticket")


def _visible_customers(user: User, account_manager: int | None = None) -> QuerySet[Customer]:
    customers = customers_for(user)
    if account_manager is not None:
        customers = customers.filter(account_manager_id=account_manager)
    return customers


# --- Pipeline ---------------------------------------------------------------------------------


def deals_for(user: User, *, account_manager: int | None = None) -> QuerySet[Deal]:
    """Return the deals of the customers `user` sees, optionally of one account manager."""
    customers = _visible_customers(user, account_manager)
    return Deal.objects.filter(customer__in=customers.values("pk")).select_related(
        "customer", "customer__account_manager", "contact"
    )


def deal_for(user: User, pk: int | str) -> Deal:
    try:
        return deals_for(user).get(pk=int(pk))
    except (Deal.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such deal") from error


@dataclass(frozen=True, slots=True)
class Column:
    stage: str
    label: str
    deals: list[Deal]
    total: int


def pipeline_board(user: User, *, account_manager: int | None = None) -> list[Column]:
    """Return one column per stage, newest activity first; closed deals of the last 90 days."""
    since = clock.now() - timedelta(days=90)
    deals = (
        deals_for(user, account_manager=account_manager)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=since))
        .order_by("-updated_at", "-pk")
    )
    by_stage: dict[str, list[Deal]] = {stage: [] for stage in Stage.values}
    for deal in deals[:500]:
        by_stage[deal.stage].append(deal)
    return [
        Column(
            stage=stage.value,
            label=str(stage.label),
            deals=by_stage[stage.value],
            total=sum(deal.value for deal in by_stage[stage.value]),
        )
        for stage in Stage
    ]


def deal_moves(deal: Deal) -> QuerySet[DealMove]:
    return deal.moves.select_related("actor").order_by("at", "pk")


def account_managers() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role=Role.ACCOUNT_MANAGER).order_by(
        "first_name", "username"
    )


# --- Orders and agreements --------------------------------------------------------------------


def orders_for(
    user: User, *, account_manager: int | None = None, customer: Customer | None = None
) -> QuerySet[Order]:
    customers = _visible_customers(user, account_manager)
    orders = Order.objects.filter(customer__in=customers.values("pk"))
    if customer is not None:
        orders = orders.filter(customer=customer)
    return orders.select_related("customer", "contact")


def order_for(user: User, number: int | str) -> Order:
    """Return one order by number if `user` sees its customer, else 404 (never 403)."""
    try:
        return (
            orders_for(user)
            .select_related("chain", "customer__account_manager", "deal")
            .get(number=int(number))
        )
    except (Order.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such order") from error


def order_versions(order: Order) -> list[Agreement]:
    """Return every version of an authorised order, newest first, ready to render."""
    return list(
        order.agreements.select_related("sent_to", "acceptance", "acceptance__contact")
        .prefetch_related(
            Prefetch("attachments", queryset=AgreementAttachment.objects.order_by("position"))
        )
        .order_by("-version")
    )


def order_version(order: Order, version: int | str) -> Agreement:
    try:
        return order.agreements.select_related("order").get(version=int(version))
    except (Agreement.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such version") from error


def agreement_current(order: Order) -> Agreement | None:
    """Return the version in force: the newest one the customer confirmed."""
    return order.agreements.filter(status=AgreementStatus.CONFIRMED).order_by("-version").first()


def order_timeline(order: Order) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(chain_id=order.chain_id)
        .select_related("actor_user", "actor_contact")
        .order_by("seq")
    )


@dataclass(frozen=True, slots=True)
class Allowance:
    """How the revisions and extra requests of an order compare with the agreement."""

    allowed: int
    used: int
    out_of_scope: int
    pending: list[OrderRequest]  # beyond the agreement, no change request yet
    requests: list[OrderRequest]
    awaiting: Agreement | None = None  # a change request the customer has not answered yet

    @property
    def used_up(self) -> bool:
        return self.used >= self.allowed

    @property
    def over(self) -> int:
        return max(0, self.used - self.allowed)


def order_allowance(order: Order, *, versions: Iterable[Agreement] | None = None) -> Allowance:
    """Count an authorised order's requests against the agreement in force."""
    confirmed = [
        item
        for item in (versions if versions is not None else order.agreements.all())
        if item.status == AgreementStatus.CONFIRMED
    ]
    current = max(confirmed, key=lambda item: item.version, default=None)
    requests = list(
        order.requests.select_related("ticket", "created_by", "change_request").order_by(
            "created_at", "pk"
        )
    )
    return Allowance(
        allowed=current.revisions_allowed if current else 0,
        used=sum(1 for item in requests if item.kind == RequestKind.REVISION),
        out_of_scope=sum(1 for item in requests if item.kind == RequestKind.OUT_OF_SCOPE),
        pending=[item for item in requests if item.needs_change_request],
        requests=requests,
        awaiting=max(
            (
                item.change_request
                for item in requests
                if item.change_request and item.change_request.status == AgreementStatus.SENT
            ),
            key=lambda agreement: agreement.version,
            default=None,
        ),
    )


def tickets_visible(user: User, customer: Customer) -> QuerySet[Any]:
    """Return the tickets of an authorised customer that `user` may see.

    The same rule as `tickets.queries.tickets_for` (docs/decisions/0001), written with string
    lookups because this app sits below tickets.
    """
    tickets = _ticket_model().objects.filter(customer=customer)
    if not user.is_active:
        return tickets.none()
    if user.sees_everything:
        return tickets
    if user.role == Role.ACCOUNT_MANAGER:
        return tickets.filter(Q(customer__account_manager=user) | Q(owner=user))
    return tickets.filter(Q(team_id__in=user.teams.values("pk")) | Q(owner=user))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A ticket that could be counted against an order, with what its words suggest."""

    ticket: Any
    hint: ScopeHint | None


def link_candidates(user: User, order: Order, *, limit: int = 30) -> list[Candidate]:
    """Return the customer's newest visible tickets not yet counted on `order`, each with the
    kind of request its customer messages suggest."""
    tickets = list(
        tickets_visible(user, order.customer)
        .exclude(order_requests__order=order)
        .order_by("-updated_at", "-pk")[:limit]
    )
    texts: dict[int, list[str]] = {ticket.chain_id: [] for ticket in tickets}
    rows = Entry.objects.filter(
        chain_id__in=list(texts), direction=Direction.IN, kind=Kind.MESSAGE
    ).values_list("chain_id", "text")
    for chain_id, text in rows:
        texts[chain_id].append(text)
    return [
        Candidate(ticket=ticket, hint=scope_hint("\n".join(texts[ticket.chain_id])))
        for ticket in tickets
    ]


def link_key() -> bytes:
    """Return the key of agreement links, derived from SECRET_KEY for this purpose only."""
    return salted_hmac("layan.agreements.link", "key", algorithm="sha256").digest()


def agreement_link_path(agreement: Agreement) -> str:
    """Return the portal path of a sent version (empty when it has no open link)."""
    if agreement.status != AgreementStatus.SENT or agreement.link_expires_at is None:
        return ""
    expires = int(agreement.link_expires_at.timestamp())
    token = link_token(
        key=link_key(), agreement_id=agreement.pk, digest=agreement.digest, expires=expires
    )
    return reverse("portal:agreement", args=[agreement.pk, expires, token])


def agreement_by_link(pk: int, expires: int, token: str) -> Agreement:
    """Return the version a customer's link opens, or 404.

    A wrong, expired, superseded or already answered link, or one whose version changed
    since it was sent, are all the same 404.
    """
    agreement = (
        Agreement.objects.select_related("order", "order__customer", "order__contact", "sent_to")
        .filter(pk=pk, status=AgreementStatus.SENT, link_expires_at__isnull=False)
        .first()
    )
    digest = agreement.digest if agreement else "0" * 64
    valid = link_valid(
        key=link_key(),
        agreement_id=pk,
        digest=digest,
        expires=expires,
        token=token,
        now=clock.now(),
    )
    if (
        agreement is None
        or not valid
        or agreement.link_expires_at is None
        or int(agreement.link_expires_at.timestamp()) != expires
    ):
        raise Http404("No such agreement")
    return agreement


# --- Revenue, targets and the portfolio -------------------------------------------------------


def revenue_for(user: User, *, account_manager: int | None = None) -> QuerySet[Revenue]:
    customers = _visible_customers(user, account_manager)
    return Revenue.objects.filter(customer__in=customers.values("pk")).select_related("customer")


def months_back(today: date, count: int) -> list[date]:
    """Return the first days of the `count` months up to and including `today`'s."""
    first = today.replace(day=1)
    result = []
    for _ in range(count):
        result.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return result[::-1]


@dataclass(frozen=True, slots=True)
class MonthFigure:
    month: date
    target: int
    achieved: int

    @property
    def percent(self) -> int | None:
        return round(self.achieved * 100 / self.target) if self.target else None


@dataclass(frozen=True, slots=True)
class HealthColumn:
    """An extra column of the portfolio's health table, contributed by another app.

    Name instances in `settings.LAYAN_PORTFOLIO_HEALTH_COLUMNS` (dotted paths). `annotate`
    adds one annotation named `key` to a customer queryset (for example a temperament label
    computed from logbook entries); the table shows it after the built-in columns.
    """

    key: str
    label: str
    annotate: Callable[[QuerySet[Customer]], QuerySet[Customer]]


def health_columns() -> list[HealthColumn]:
    return [import_string(path) for path in getattr(settings, "LAYAN_PORTFOLIO_HEALTH_COLUMNS", [])]


@dataclass(frozen=True, slots=True)
class HealthRow:
    customer: Customer
    verdict: str
    open_complaints: int
    late_orders: int
    at_risk_orders: int
    revenue: int  # over the months shown
    extra: list[object] = field(default_factory=list)

    @property
    def troubled(self) -> bool:
        return bool(self.open_complaints or self.late_orders or self.verdict == "bad")


@dataclass(frozen=True, slots=True)
class Attention:
    """Something on an order that the account manager should act on."""

    order: Order
    reason: str  # change_request, late, at_risk, approval, changes_requested
    count: int = 0


@dataclass(frozen=True, slots=True)
class Portfolio:
    account_manager: User | None
    months: list[MonthFigure]
    rows: list[HealthRow]
    attention: list[Attention]
    columns: list[HealthColumn]

    @property
    def this_month(self) -> MonthFigure:
        return self.months[-1]


def _count_by_customer(queryset: QuerySet[Any]) -> Coalesce:
    counted = (
        queryset.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def portfolio_for(
    user: User, *, account_manager: User | None, today: date, months: int = 6
) -> Portfolio:
    """Return the dashboard of one account manager's portfolio (or of everyone's).

    An account manager always sees their own; managers choose, or see the whole business.
    """
    if not user.sees_everything:
        account_manager = user
    am_id = account_manager.pk if account_manager else None
    shown = months_back(today, months)
    achieved = dict(
        revenue_for(user, account_manager=am_id)
        .filter(month__gte=shown[0], month__lte=shown[-1])
        .order_by()
        .values("month")
        .annotate(total=Sum("amount"))
        .values_list("month", "total")
    )
    targets = Target.objects.filter(month__gte=shown[0], month__lte=shown[-1])
    if am_id is not None:
        targets = targets.filter(account_manager_id=am_id)
    goal = dict(
        targets.order_by()
        .values("month")
        .annotate(total=Sum("amount"))
        .values_list("month", "total")
    )
    figures = [
        MonthFigure(month=month, target=goal.get(month, 0), achieved=achieved.get(month, 0))
        for month in shown
    ]
    risk_until = today + timedelta(days=commitments.AT_RISK_DAYS)
    open_orders = Order.objects.filter(status=OrderStatus.OPEN, promised_on__isnull=False)
    columns = health_columns()
    customers: QuerySet[Any] = with_verdict(_visible_customers(user, am_id)).annotate(
        open_complaints=_count_by_customer(
            _ticket_model().objects.filter(category=COMPLAINT, status__in=ACTIVE_TICKET_STATUSES)
        ),
        late_orders=_count_by_customer(open_orders.filter(promised_on__lt=today)),
        at_risk_orders=_count_by_customer(
            open_orders.filter(promised_on__gte=today, promised_on__lte=risk_until)
        ),
        revenue_total=Coalesce(
            Subquery(
                Revenue.objects.filter(customer=OuterRef("pk"), month__gte=shown[0])
                .order_by()
                .values("customer")
                .annotate(total=Sum("amount"))
                .values("total")[:1]
            ),
            Value(0),
        ),
    )
    for column in columns:
        customers = column.annotate(customers)
    rows = [
        HealthRow(
            customer=customer,
            verdict=customer.verdict,
            open_complaints=customer.open_complaints,
            late_orders=customer.late_orders,
            at_risk_orders=customer.at_risk_orders,
            revenue=customer.revenue_total,
            extra=[getattr(customer, column.key, None) for column in columns],
        )
        for customer in customers
    ]
    # Trouble first: the account manager reads the table from the top.
    rows.sort(key=lambda row: (not row.troubled, -row.late_orders, -row.open_complaints))
    return Portfolio(
        account_manager=account_manager,
        months=figures,
        rows=rows,
        attention=attention_for(user, account_manager=am_id, today=today),
        columns=columns,
    )


def attention_for(
    user: User, *, account_manager: int | None = None, today: date, limit: int = 50
) -> list[Attention]:
    """Return the orders that need the account manager now, most pressing first."""
    beyond = Q(requests__change_request__isnull=True) & (
        Q(requests__kind=RequestKind.OUT_OF_SCOPE) | Q(requests__number__gt=F("requests__allowed"))
    )
    newer = Agreement.objects.filter(order=OuterRef("order"), version__gt=OuterRef("version"))
    answered = Agreement.objects.filter(
        order=OuterRef("pk"), status=AgreementStatus.CHANGES_REQUESTED
    ).filter(~Exists(newer))
    orders = (
        orders_for(user, account_manager=account_manager)
        .filter(status__in=(OrderStatus.OPEN, OrderStatus.PENDING_APPROVAL))
        .annotate(beyond=Count("requests", filter=beyond), answered=Exists(answered))
        .order_by("promised_on", "number")
    )
    risk_until = today + timedelta(days=commitments.AT_RISK_DAYS)
    found: list[Attention] = []
    for order in orders[:500]:
        if order.beyond:
            found.append(Attention(order, "change_request", order.beyond))
        if order.status == OrderStatus.PENDING_APPROVAL:
            found.append(Attention(order, "approval"))
        if order.answered:
            found.append(Attention(order, "changes_requested"))
        if order.status == OrderStatus.OPEN and order.promised_on is not None:
            if order.promised_on < today:
                found.append(Attention(order, "late"))
            elif order.promised_on <= risk_until:
                found.append(Attention(order, "at_risk"))
    rank = {"late": 0, "change_request": 1, "changes_requested": 2, "approval": 3, "at_risk": 4}
    found.sort(key=lambda item: rank[item.reason])
    return found[:limit]


# --- Verdicts ---------------------------------------------------------------------------------


def _current_verdict_rows() -> QuerySet[Verdict]:
    return Verdict.objects.filter(customer=OuterRef("pk")).order_by("-decided_at", "-pk")


# What a customer's page reads of their deals, orders, agreements, requests, invoices and
# verdicts, each by the customer's key: statements built once (`layan.core.reads`), where
# building the nine of them cost more than running them.
_verdict_newest = PreparedRead(
    lambda *, customer: (
        Verdict.objects.filter(customer_id=customer)
        .select_related("decided_by")
        .order_by("-decided_at", "-pk")
    ),
    customer=int,
)
_deals_closed = PreparedRead(
    lambda *, customer: Deal.objects.filter(
        customer_id=customer, stage__in=(Stage.WON, Stage.LOST)
    ),
    customer=int,
)


def _newest_five[M: (Deal, Order)](model: type[M]) -> PreparedRead[M]:
    """The customer's five most recently changed rows of `model`, newest first."""
    return PreparedRead(
        lambda *, customer: model.objects.filter(customer_id=customer).order_by(
            "-updated_at", "-pk"
        )[:5],
        customer=int,
    )


_deals_newest = _newest_five(Deal)
_orders_newest = _newest_five(Order)
_orders_delivered = PreparedRead(
    lambda *, customer: Order.objects.filter(customer_id=customer, status=OrderStatus.DELIVERED),
    customer=int,
)
_agreements_confirmed = PreparedRead(
    lambda *, customer: Agreement.objects.filter(
        order__in=Order.objects.filter(customer_id=customer), status=AgreementStatus.CONFIRMED
    ).select_related("order", "acceptance"),
    customer=int,
)
_order_requests = PreparedRead(
    lambda *, customer: OrderRequest.objects.filter(
        order__in=Order.objects.filter(customer_id=customer)
    ).select_related("order", "ticket"),
    customer=int,
)
_invoices = PreparedRead(
    lambda *, customer: Invoice.objects.filter(customer_id=customer).select_related("order"),
    customer=int,
)


def verdict_current(customer: Customer) -> Verdict | None:
    """Return the customer's newest verdict, or None."""
    return _verdict_newest.first(customer=customer.pk)


def verdict_of(customer: Customer) -> str:
    """Return "yes", "no" or "bad", or "" when nobody judged the customer yet."""
    current = verdict_current(customer)
    return current.verdict if current else ""


def with_verdict(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """Annotate each customer with `verdict` ("yes", "no", "bad" or ""), one subquery, so
    reports can filter and group by it."""
    return customers.annotate(
        verdict=Coalesce(Subquery(_current_verdict_rows().values("verdict")[:1]), Value(""))
    )


def verdict_history(customer: Customer) -> QuerySet[Verdict]:
    return Verdict.objects.filter(customer=customer).select_related("decided_by")


@dataclass(frozen=True, slots=True)
class Signal:
    """One piece of evidence for a verdict, with where to see it."""

    kind: str  # a field name of SignalCounts, singular meaning
    label: str
    url: str
    at: datetime | date | None = None
    detail: str = ""

    def as_data(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "label": self.label,
            "url": self.url,
            "at": self.at.isoformat() if self.at else "",
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Suggestion:
    verdict: str | None
    score: int
    counts: SignalCounts
    signals: list[Signal]

    def of(self, kind: str) -> list[Signal]:
        return [signal for signal in self.signals if signal.kind == kind]


def verdict_suggestion(customer: Customer, *, today: date) -> Suggestion:
    """Gather the signals about an authorised customer and suggest a verdict from them."""
    signals: list[Signal] = []
    for deal in _deals_closed.all(customer=customer.pk):
        kind = "won_deals" if deal.stage == Stage.WON else "lost_deals"
        signals.append(
            Signal(
                kind,
                deal.title,
                reverse("agreements:deal", args=[deal.pk]),
                deal.closed_at,
                deal.lost_reason,
            )
        )
    for agreement in _agreements_confirmed.all(customer=customer.pk):
        signals.append(
            Signal(
                "confirmed_agreements",
                f"{agreement.order.ref} v{agreement.version}",
                _order_url(agreement.order.number),
                agreement.acceptance.at if hasattr(agreement, "acceptance") else None,
            )
        )
    for order in _orders_delivered.all(customer=customer.pk):
        signals.append(
            Signal("delivered_orders", order.ref, _order_url(order.number), order.delivered_on)
        )
    for request in _order_requests.all(customer=customer.pk):
        if request.kind == RequestKind.OUT_OF_SCOPE:
            kind = "out_of_scope"
        elif request.over_allowance:
            kind = "over_allowance"
        else:
            continue
        signals.append(
            Signal(
                kind,
                f"{request.order.ref} · #{request.ticket.reference}",
                reverse("tickets:detail", args=[request.ticket.reference]),
                request.created_at,
                request.note,
            )
        )
    signals.extend(_message_signals(customer))
    for invoice in _invoices.all(customer=customer.pk):
        if invoice.is_late(today):
            signals.append(
                Signal(
                    "late_payments",
                    invoice.number,
                    _order_url(invoice.order.number) if invoice.order else "",
                    invoice.due_on,
                    invoice.paid_on.isoformat() if invoice.paid_on else "",
                )
            )
    counts = SignalCounts(
        **{
            item.name: sum(1 for signal in signals if signal.kind == item.name)
            for item in fields(SignalCounts)
        }
    )
    return Suggestion(
        verdict=verdict_suggest(counts),
        score=trouble_score(counts),
        counts=counts,
        signals=signals,
    )


def _order_url(number: int) -> str:
    return reverse("agreements:order", args=[number])


# The newest inbound messages with text of a list of chains, with their tone: a statement
# built once per size of list (`layan.core.reads`), where building it with 600 chains cost
# 3 ms, the ORM preparing each chain's key.
_inbound_messages = PreparedValues(
    lambda *, chains: (
        Entry.objects.filter(direction=Direction.IN, chain_id__in=chains)
        .exclude(text="")
        .order_by("-occurred_at", "-pk")
        .values_list(
            "chain_id", "seq", "text", "occurred_at", "tone__abusive", "tone__abuse_terms"
        )[:SIGNAL_MESSAGES]
    ),
    chains=list,
)


def _message_signals(customer: Customer) -> list[Signal]:
    """Read the customer's newest inbound messages (tickets and orders) for price comparisons
    and abuse."""
    # The chains to read: the customer's orders, and the tickets with their latest customer
    # message newest (`ticket_customer_message`), twice as many as the messages wanted. The
    # newest messages lie in those tickets (each of the others has a last message older than
    # theirs); a ticket whose newest messages have no text could push one out, which a margin
    # of twice covers in practice. One literal list of chains is read through the entries'
    # chain index; a condition on the customer's tickets as a subquery made PostgreSQL scan
    # every entry (0.9 s at a million tickets for a customer with 20,000 of them). Where each
    # chain belongs is read with it, so the messages need no join to their tickets or orders.
    tickets = (
        _ticket_model()
        .objects.filter(customer=customer, last_customer_message_at__isnull=False)
        .order_by("-last_customer_message_at")
        .values_list("chain_id", "reference")[: 2 * SIGNAL_MESSAGES]
    )
    ticket_url, order_url = url_by_number("tickets:detail"), url_by_number("agreements:order")
    places = {chain: (f"#{reference}", ticket_url(reference)) for chain, reference in tickets}
    for chain, number in Order.objects.filter(customer=customer).values_list("chain_id", "number"):
        places[chain] = (f"ORD-{number}", order_url(number))
    # A ticket's customer messages were analysed when they arrived (their tone): the abuse
    # found then is read, not analysed again on every view of the page (120 ms for 300
    # messages on a 2-core machine). Messages without a tone (an order's) are analysed here.
    found: list[Signal] = []
    rows = _inbound_messages.rows(chains=list(places)) if places else []
    for chain, seq, text, occurred_at, abusive, terms in rows:
        where, address = places[chain]
        url = f"{address}#e{seq}"
        phrases = price_comparisons(text)
        if phrases:
            found.append(Signal("price_comparisons", where, url, occurred_at, ", ".join(phrases)))
        if abusive is None:
            abuse = predict("abuse", text)
            abusive, terms = abuse.label == "abusive", list(abuse.terms)
        if abusive:
            found.append(Signal("abusive_messages", where, url, occurred_at, ", ".join(terms)))
    return found


# --- The customer page ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerPanel:
    verdict: Verdict | None
    suggestion: Suggestion
    deals: list[Deal]
    orders: list[tuple[Order, str]]  # with the state of its promised date
    revenue: list[MonthFigure]
    can_manage: bool

    @property
    def revenue_total(self) -> int:
        return sum(month.achieved for month in self.revenue)


def customer_panel(user: User, customer: Customer, *, today: date) -> CustomerPanel:
    """Return the verdict, deals, orders and revenue of an authorised customer."""
    shown = months_back(today, 12)
    amounts = dict(
        Revenue.objects.filter(customer=customer, month__gte=shown[0]).values_list(
            "month", "amount"
        )
    )
    return CustomerPanel(
        verdict=verdict_current(customer),
        suggestion=verdict_suggestion(customer, today=today),
        deals=_deals_newest.all(customer=customer.pk),
        orders=[
            (order, order.commitment(today)) for order in _orders_newest.all(customer=customer.pk)
        ],
        revenue=[MonthFigure(month, 0, amounts.get(month, 0)) for month in shown],
        can_manage=can_manage(user, customer),
    )
