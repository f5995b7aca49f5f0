"""Rebuild the stage spells of existing complaints from their logbooks' stage entries.

A complaint opened as one starts at Listen when the ticket is created, without a stage entry
(entered by whoever logged the ticket, as the opening entry says); a ticket that became a
complaint later has an entry from "" to Listen. Every stage entry ends the spell before it and
starts the next; the last spell is the current one.
"""

from django.db import migrations

BATCH = 500


def spells_of(ticket, entries, opened_by=None):
    """Return [stage, entered_at, left_at, entered_by_id] lists for one ticket, oldest first."""
    pk, stage, created_at = ticket
    spells = []
    if not entries or entries[0][0] != "":
        spells.append([entries[0][0] if entries else stage, created_at, None, opened_by])
    for _old, new, occurred_at, actor_id in entries:
        if spells:
            spells[-1][2] = occurred_at
        spells.append([new, occurred_at, None, actor_id])
    return spells


def backfill(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    StageSpell = apps.get_model("tickets", "StageSpell")
    Entry = apps.get_model("logbook", "Entry")
    tickets = Ticket.objects.exclude(stage="").order_by("pk")
    rows = tickets.values_list("pk", "chain_id", "stage", "created_at")
    batch = []
    for row in rows.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            _write(batch, Entry, StageSpell)
            batch = []
    if batch:
        _write(batch, Entry, StageSpell)


def _write(batch, Entry, StageSpell):
    entries = {chain_id: [] for _pk, chain_id, _stage, _created in batch}
    opened_by = {}
    stage_entries = (
        Entry.objects.filter(chain_id__in=list(entries), kind__in=("stage", "created"))
        .order_by("chain_id", "seq")
        .values_list("chain_id", "kind", "data", "occurred_at", "actor_user_id")
    )
    for chain_id, kind, data, occurred_at, actor_id in stage_entries:
        if kind == "created":
            opened_by[chain_id] = actor_id
            continue
        entries[chain_id].append((data.get("from", ""), data.get("to", ""), occurred_at, actor_id))
    spells = []
    for pk, chain_id, current, created_at in batch:
        ticket = (pk, current, created_at)
        for stage, entered, left, actor_id in spells_of(
            ticket, entries[chain_id], opened_by.get(chain_id)
        ):
            spells.append(
                StageSpell(
                    ticket_id=pk,
                    stage=stage,
                    entered_at=entered,
                    left_at=left,
                    entered_by_id=actor_id,
                )
            )
    StageSpell.objects.bulk_create(spells)


def remove(apps, schema_editor):
    apps.get_model("tickets", "StageSpell").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0004_stage_spell"),
        ("logbook", "0005_playbook"),
    ]

    operations = [migrations.RunPython(backfill, remove)]
