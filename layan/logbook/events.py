"""Timeline events, one function each, so every kind of change is recorded the same way."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from layan.logbook.models import Chain, Direction, Entry, Kind
from layan.logbook.services import entry_append, entry_draft

if TYPE_CHECKING:
    from layan.customers.models import Contact
    from layan.team.models import User


def _change(
    *,
    chain: Chain,
    kind: Kind,
    actor: User | None,
    channel: str,
    old: str,
    new: str,
    old_label: str = "",
    new_label: str = "",
) -> Entry:
    return entry_append(
        chain=chain,
        kind=kind,
        direction=Direction.INTERNAL,
        channel=channel,
        actor_user=actor,
        data={"from": old, "to": new, "from_label": old_label, "to_label": new_label},
    )


def ticket_opened_draft(
    *,
    now: datetime,
    actor: User | None,
    requester: Contact,
    channel: str,
    subject: str,
    customer_label: str,
    occurred_at: datetime | None = None,
) -> Entry:
    """The entry that opens a ticket, drafted before its chain exists (`chain_open` seals it).
    `occurred_at`: when the ticket was opened, if not now (a migrated message's date)."""
    return entry_draft(
        now=now,
        kind=Kind.CREATED,
        direction=Direction.INTERNAL,
        channel=channel,
        actor_user=actor,
        actor_contact=None if actor else requester,
        occurred_at=occurred_at,
        subject=subject,
        data={"requester": requester.actor, "customer": customer_label},
    )


def status_changed(*, chain: Chain, actor: User | None, channel: str, old: str, new: str) -> Entry:
    return _change(chain=chain, kind=Kind.STATUS, actor=actor, channel=channel, old=old, new=new)


def priority_changed(
    *, chain: Chain, actor: User | None, channel: str, old: str, new: str
) -> Entry:
    return _change(chain=chain, kind=Kind.PRIORITY, actor=actor, channel=channel, old=old, new=new)


def category_changed(
    *, chain: Chain, actor: User | None, channel: str, old: str, new: str
) -> Entry:
    return _change(chain=chain, kind=Kind.CATEGORY, actor=actor, channel=channel, old=old, new=new)


def owner_changed(
    *,
    chain: Chain,
    actor: User | None,
    channel: str,
    old: User | None,
    new: User | None,
    note: str = "",
) -> Entry:
    return entry_append(
        chain=chain,
        kind=Kind.OWNER,
        direction=Direction.INTERNAL,
        channel=channel,
        actor_user=actor,
        text=note,
        data={
            "from": old.actor if old else "",
            "to": new.actor if new else "",
            "from_label": old.name if old else "",
            "to_label": new.name if new else "",
        },
    )


def team_changed(
    *,
    chain: Chain,
    actor: User | None,
    channel: str,
    old: str,
    new: str,
    old_label: str,
    new_label: str,
) -> Entry:
    return _change(
        chain=chain,
        kind=Kind.TEAM,
        actor=actor,
        channel=channel,
        old=old,
        new=new,
        old_label=old_label,
        new_label=new_label,
    )


def customer_changed(
    *,
    chain: Chain,
    actor: User | None,
    channel: str,
    old: str,
    new: str,
    old_label: str,
    new_label: str,
) -> Entry:
    return _change(
        chain=chain,
        kind=Kind.CUSTOMER,
        actor=actor,
        channel=channel,
        old=old,
        new=new,
        old_label=old_label,
        new_label=new_label,
    )


def tags_changed(
    *, chain: Chain, actor: User | None, channel: str, added: list[str], removed: list[str]
) -> Entry:
    return entry_append(
        chain=chain,
        kind=Kind.TAGS,
        direction=Direction.INTERNAL,
        channel=channel,
        actor_user=actor,
        data={"added": sorted(added), "removed": sorted(removed)},
    )


def note_added(*, chain: Chain, actor: User, channel: str, text: str) -> Entry:
    return entry_append(
        chain=chain,
        kind=Kind.NOTE,
        direction=Direction.INTERNAL,
        channel=channel,
        actor_user=actor,
        text=text,
    )


def stage_changed(*, chain: Chain, actor: User | None, old: str, new: str) -> Entry:
    return _change(chain=chain, kind=Kind.STAGE, actor=actor, channel="ui", old=old, new=new)


def fault_assessed(*, chain: Chain, actor: User, old: str, new: str, note: str) -> Entry:
    return entry_append(
        chain=chain,
        kind=Kind.FAULT,
        direction=Direction.INTERNAL,
        channel="ui",
        actor_user=actor,
        text=note,
        data={"from": old, "to": new},
    )


def question_asked(*, chain: Chain, actor: User, question: str, asked: bool) -> Entry:
    return entry_append(
        chain=chain,
        kind=Kind.EVENT,
        direction=Direction.INTERNAL,
        channel="ui",
        actor_user=actor,
        text=question,
        data={"event": "question_asked" if asked else "question_unticked"},
    )


def handover_read(*, chain: Chain, actor: User) -> Entry:
    return entry_append(
        chain=chain,
        kind=Kind.EVENT,
        direction=Direction.INTERNAL,
        channel="ui",
        actor_user=actor,
        data={"event": "handover_read"},
    )
