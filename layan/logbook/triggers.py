"""Database triggers that make the logbook append-only below the ORM.

Entries and their attachments can be inserted, never deleted, and updated in exactly one way: a
redaction, which empties the readable content and its salt and sets `redacted`, leaving every
column the hash chain covers untouched. Chains can only move their head forward. The triggers
are installed by a migration; the same SQL is here so tests can reinstall them after a flush.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

# Columns a redaction may not touch: everything but the readable content, salt and the flag.
_KEPT = (
    "id",
    "chain_id",
    "seq",
    "prev_hash",
    "body_hash",
    "kind",
    "direction",
    "channel",
    "actor",
    "actor_user_id",
    "actor_contact_id",
    "occurred_at",
    "recorded_at",
    "content_sha256",
    "raw_id",
    "data",
    "external_id",
)

_SQLITE_KEPT = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in _KEPT)
_POSTGRES_KEPT = " AND ".join(f"NEW.{column} IS NOT DISTINCT FROM OLD.{column}" for column in _KEPT)
_REDACTION = (
    "OLD.redacted = {false} AND NEW.redacted = {true} AND NEW.subject = '' AND NEW.text = '' "
    "AND NEW.html = '' AND NEW.content_salt = ''"
)

SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER logbook_entry_no_update BEFORE UPDATE ON logbook_entry
    WHEN NOT ({_SQLITE_KEPT} AND {_REDACTION.format(false=0, true=1)})
    BEGIN SELECT RAISE(ABORT, 'logbook entries are append-only'); END
    """,
    """
    CREATE TRIGGER logbook_entry_no_delete BEFORE DELETE ON logbook_entry
    BEGIN SELECT RAISE(ABORT, 'logbook entries are append-only'); END
    """,
    """
    CREATE TRIGGER logbook_attachment_no_update
    BEFORE UPDATE ON logbook_entryattachment
    BEGIN SELECT RAISE(ABORT, 'logbook attachments are append-only'); END
    """,
    """
    CREATE TRIGGER logbook_attachment_no_delete
    BEFORE DELETE ON logbook_entryattachment
    BEGIN SELECT RAISE(ABORT, 'logbook attachments are append-only'); END
    """,
    """
    CREATE TRIGGER logbook_chain_forward_only BEFORE UPDATE ON logbook_chain
    WHEN NEW.head_seq < OLD.head_seq OR NEW.label IS NOT OLD.label
    BEGIN SELECT RAISE(ABORT, 'logbook chains only grow'); END
    """,
    """
    CREATE TRIGGER logbook_chain_no_delete BEFORE DELETE ON logbook_chain
    BEGIN SELECT RAISE(ABORT, 'logbook chains only grow'); END
    """,
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS logbook_entry_no_update",
    "DROP TRIGGER IF EXISTS logbook_entry_no_delete",
    "DROP TRIGGER IF EXISTS logbook_attachment_no_update",
    "DROP TRIGGER IF EXISTS logbook_attachment_no_delete",
    "DROP TRIGGER IF EXISTS logbook_chain_forward_only",
    "DROP TRIGGER IF EXISTS logbook_chain_no_delete",
]

POSTGRES_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION logbook_entry_guard() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND {_POSTGRES_KEPT}
         AND {_REDACTION.format(false="false", true="true")} THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'logbook entries are append-only' USING ERRCODE = 'insufficient_privilege';
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE FUNCTION logbook_refuse() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE FUNCTION logbook_chain_guard() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND NEW.head_seq >= OLD.head_seq AND NEW.label = OLD.label THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'logbook chains only grow' USING ERRCODE = 'insufficient_privilege';
    END $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS logbook_entry_guard ON logbook_entry",
    """
    CREATE TRIGGER logbook_entry_guard BEFORE UPDATE OR DELETE ON logbook_entry
    FOR EACH ROW EXECUTE FUNCTION logbook_entry_guard()
    """,
    "DROP TRIGGER IF EXISTS logbook_attachment_guard ON logbook_entryattachment",
    """
    CREATE TRIGGER logbook_attachment_guard BEFORE UPDATE OR DELETE ON logbook_entryattachment
    FOR EACH ROW EXECUTE FUNCTION logbook_refuse()
    """,
    "DROP TRIGGER IF EXISTS logbook_chain_guard ON logbook_chain",
    """
    CREATE TRIGGER logbook_chain_guard BEFORE UPDATE OR DELETE ON logbook_chain
    FOR EACH ROW EXECUTE FUNCTION logbook_chain_guard()
    """,
]
POSTGRES_UNINSTALL = [
    "DROP TRIGGER IF EXISTS logbook_entry_guard ON logbook_entry",
    "DROP TRIGGER IF EXISTS logbook_attachment_guard ON logbook_entryattachment",
    "DROP TRIGGER IF EXISTS logbook_chain_guard ON logbook_chain",
    "DROP FUNCTION IF EXISTS logbook_entry_guard()",
    "DROP FUNCTION IF EXISTS logbook_refuse()",
    "DROP FUNCTION IF EXISTS logbook_chain_guard()",
]


def _statements(connection: BaseDatabaseWrapper, *, install: bool) -> list[str]:
    if connection.vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_UNINSTALL
    if connection.vendor == "postgresql":
        return POSTGRES_INSTALL if install else POSTGRES_UNINSTALL
    raise NotImplementedError(f"no logbook triggers for {connection.vendor}")


def triggers_install(connection: BaseDatabaseWrapper) -> None:
    """Install (or replace) the triggers, so a later migration can change what they keep."""
    with connection.cursor() as cursor:
        statements = _statements(connection, install=False) + _statements(connection, install=True)
        for statement in statements:
            cursor.execute(statement)


def triggers_uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection, install=False):
            cursor.execute(statement)
