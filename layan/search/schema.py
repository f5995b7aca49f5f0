"""The full-text index of tickets: one document per ticket, kept current by database triggers.

A ticket's document is its reference and subject plus the subject and text of every logbook
entry of its chain. A new ticket's document is made from the entries already in its chain (a
new ticket's first entries go in before it: `chain_open`), and each entry added later is
appended to it. Triggers keep it current, so every way rows reach the tables (services,
bulk loads, a database copy) is indexed alike; a redaction rebuilds the document from what is
left, so redacted words stop matching at once.

SQLite keeps it in an FTS5 table (`unicode61`, diacritics removed; no stemming, so longer
words match as prefixes). PostgreSQL keeps a `tsvector` per ticket built with both the
`indonesian` and the `english` configuration, stripped of positions so its size follows the
vocabulary of the conversation and not its length, under a GIN index. Both split text into
words at every character that is not a letter or digit, as the query side does (`terms.py`), so
`INV-2023-0042` or `budi@example.co.id` are found by what they are made of.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

SQLITE_INSTALL = [
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS search_ticket
    USING fts5(head, body, tokenize = 'unicode61 remove_diacritics 2')
    """,
    """
    CREATE TRIGGER search_ticket_opened AFTER INSERT ON tickets_ticket BEGIN
      DELETE FROM search_ticket WHERE rowid = new.id;
      INSERT INTO search_ticket (rowid, head, body)
      VALUES (new.id, new.reference || ' ' || new.subject, coalesce((
        SELECT group_concat(subject || char(10) || text, char(10)) FROM logbook_entry
        WHERE chain_id = new.chain_id AND (text != '' OR subject != '')), ''));
    END
    """,
    """
    CREATE TRIGGER search_ticket_renamed AFTER UPDATE OF subject ON tickets_ticket
    WHEN new.subject IS NOT old.subject BEGIN
      UPDATE search_ticket SET head = new.reference || ' ' || new.subject WHERE rowid = new.id;
    END
    """,
    """
    CREATE TRIGGER search_ticket_gone AFTER DELETE ON tickets_ticket BEGIN
      DELETE FROM search_ticket WHERE rowid = old.id;
    END
    """,
    """
    CREATE TRIGGER search_entry_added AFTER INSERT ON logbook_entry
    WHEN new.text != '' OR new.subject != '' BEGIN
      UPDATE search_ticket SET body = body || char(10) || new.subject || char(10) || new.text
      WHERE rowid = (SELECT id FROM tickets_ticket WHERE chain_id = new.chain_id);
    END
    """,
    """
    CREATE TRIGGER search_entry_redacted AFTER UPDATE OF redacted ON logbook_entry
    WHEN new.redacted AND NOT old.redacted BEGIN
      UPDATE search_ticket
      SET body = coalesce((
        SELECT group_concat(subject || char(10) || text, char(10)) FROM logbook_entry
        WHERE chain_id = new.chain_id AND (text != '' OR subject != '')), '')
      WHERE rowid = (SELECT id FROM tickets_ticket WHERE chain_id = new.chain_id);
    END
    """,
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS search_ticket_opened",
    "DROP TRIGGER IF EXISTS search_ticket_renamed",
    "DROP TRIGGER IF EXISTS search_ticket_gone",
    "DROP TRIGGER IF EXISTS search_entry_added",
    "DROP TRIGGER IF EXISTS search_entry_redacted",
    "DROP TABLE IF EXISTS search_ticket",
]
SQLITE_REBUILD = [
    "DELETE FROM search_ticket",
    """
    INSERT INTO search_ticket (rowid, head, body)
    SELECT t.id, t.reference || ' ' || t.subject, coalesce((
      SELECT group_concat(e.subject || char(10) || e.text, char(10)) FROM logbook_entry e
      WHERE e.chain_id = t.chain_id AND (e.text != '' OR e.subject != '')), '')
    FROM tickets_ticket t
    """,
    "INSERT INTO search_ticket (search_ticket) VALUES ('optimize')",
]

POSTGRES_INSTALL = [
    """
    CREATE TABLE IF NOT EXISTS search_ticket (
      ticket_id bigint PRIMARY KEY,
      document tsvector NOT NULL DEFAULT ''::tsvector
    )
    """,
    # serves: WHERE document @@ to_tsquery(...) (keyword search of tickets)
    "CREATE INDEX IF NOT EXISTS search_ticket_document ON search_ticket USING gin (document)",
    """
    CREATE OR REPLACE FUNCTION layan_search_vector(content text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT strip(to_tsvector('indonesian'::regconfig, words)
                   || to_tsvector('english'::regconfig, words))
      FROM (SELECT regexp_replace(content, '[^[:alnum:]]+', ' ', 'g') AS words) AS split
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION layan_ticket_document(ticket bigint) RETURNS tsvector
    LANGUAGE sql STABLE AS $$
      SELECT layan_search_vector(t.reference || ' ' || t.subject)
             || coalesce((
                  SELECT layan_search_vector(string_agg(e.subject || E'\n' || e.text, E'\n'))
                  FROM logbook_entry e
                  WHERE e.chain_id = t.chain_id AND (e.text <> '' OR e.subject <> '')),
                ''::tsvector)
      FROM tickets_ticket t WHERE t.id = ticket
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION search_ticket_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        DELETE FROM search_ticket WHERE ticket_id = OLD.id;
        RETURN NULL;
      END IF;
      IF TG_OP = 'UPDATE' AND NEW.subject IS NOT DISTINCT FROM OLD.subject THEN
        RETURN NULL;
      END IF;
      INSERT INTO search_ticket (ticket_id, document)
      VALUES (NEW.id, layan_ticket_document(NEW.id))
      ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document;
      RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION search_entry_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      ticket bigint;
    BEGIN
      SELECT id INTO ticket FROM tickets_ticket WHERE chain_id = NEW.chain_id;
      IF ticket IS NULL THEN
        RETURN NULL;
      END IF;
      IF TG_OP = 'INSERT' THEN
        UPDATE search_ticket
        SET document = document || layan_search_vector(NEW.subject || E'\n' || NEW.text)
        WHERE ticket_id = ticket;
      ELSE
        UPDATE search_ticket SET document = layan_ticket_document(ticket)
        WHERE ticket_id = ticket;
      END IF;
      RETURN NULL;
    END $$
    """,
    "DROP TRIGGER IF EXISTS search_ticket_changed ON tickets_ticket",
    """
    CREATE TRIGGER search_ticket_changed
    AFTER INSERT OR UPDATE OF subject OR DELETE ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION search_ticket_changed()
    """,
    "DROP TRIGGER IF EXISTS search_entry_added ON logbook_entry",
    """
    CREATE TRIGGER search_entry_added AFTER INSERT ON logbook_entry
    FOR EACH ROW WHEN (NEW.text <> '' OR NEW.subject <> '')
    EXECUTE FUNCTION search_entry_changed()
    """,
    "DROP TRIGGER IF EXISTS search_entry_redacted ON logbook_entry",
    """
    CREATE TRIGGER search_entry_redacted AFTER UPDATE OF redacted ON logbook_entry
    FOR EACH ROW WHEN (NEW.redacted AND NOT OLD.redacted)
    EXECUTE FUNCTION search_entry_changed()
    """,
]
POSTGRES_UNINSTALL = [
    "DROP TRIGGER IF EXISTS search_ticket_changed ON tickets_ticket",
    "DROP TRIGGER IF EXISTS search_entry_added ON logbook_entry",
    "DROP TRIGGER IF EXISTS search_entry_redacted ON logbook_entry",
    "DROP FUNCTION IF EXISTS search_ticket_changed()",
    "DROP FUNCTION IF EXISTS search_entry_changed()",
    "DROP FUNCTION IF EXISTS layan_ticket_document(bigint)",
    "DROP FUNCTION IF EXISTS layan_search_vector(text)",
    "DROP TABLE IF EXISTS search_ticket",
]
POSTGRES_REBUILD = [
    "TRUNCATE search_ticket",
    """
    INSERT INTO search_ticket (ticket_id, document)
    SELECT t.id, layan_search_vector(t.reference || ' ' || t.subject)
                 || coalesce(e.document, ''::tsvector)
    FROM tickets_ticket t
    LEFT JOIN (
      SELECT chain_id, layan_search_vector(string_agg(subject || E'\n' || text, E'\n')) AS document
      FROM logbook_entry WHERE text <> '' OR subject <> '' GROUP BY chain_id
    ) e ON e.chain_id = t.chain_id
    """,
    "ANALYZE search_ticket",
]


def statements(connection: BaseDatabaseWrapper, *, action: str) -> list[str]:
    """Return the SQL that installs, uninstalls or rebuilds the index on `connection`."""
    table = {
        "sqlite": {
            "install": SQLITE_INSTALL,
            "uninstall": SQLITE_UNINSTALL,
            "rebuild": SQLITE_REBUILD,
        },
        "postgresql": {
            "install": POSTGRES_INSTALL,
            "uninstall": POSTGRES_UNINSTALL,
            "rebuild": POSTGRES_REBUILD,
        },
    }
    if connection.vendor not in table:
        raise NotImplementedError(f"no ticket search for {connection.vendor}")
    return table[connection.vendor][action]


def search_install(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in statements(connection, action="install"):
            cursor.execute(statement)


def search_uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in statements(connection, action="uninstall"):
            cursor.execute(statement)
