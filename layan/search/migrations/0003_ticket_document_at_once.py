"""A new ticket's document is made from the entries already in its chain (SQLite only: the
PostgreSQL trigger reads them already), so a ticket opened with its first entries is indexed
once, not once more for each entry."""

from django.db import migrations

DROP = "DROP TRIGGER IF EXISTS search_ticket_opened"
BEFORE = """
CREATE TRIGGER search_ticket_opened AFTER INSERT ON tickets_ticket BEGIN
  DELETE FROM search_ticket WHERE rowid = new.id;
  INSERT INTO search_ticket (rowid, head, body)
  VALUES (new.id, new.reference || ' ' || new.subject, '');
END
"""
AFTER = """
CREATE TRIGGER search_ticket_opened AFTER INSERT ON tickets_ticket BEGIN
  DELETE FROM search_ticket WHERE rowid = new.id;
  INSERT INTO search_ticket (rowid, head, body)
  VALUES (new.id, new.reference || ' ' || new.subject, coalesce((
    SELECT group_concat(subject || char(10) || text, char(10)) FROM logbook_entry
    WHERE chain_id = new.chain_id AND (text != '' OR subject != '')), ''));
END
"""


def _trigger(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)
            cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0002_ticket_search_fill")]
    operations = [migrations.RunPython(_trigger(AFTER), _trigger(BEFORE))]
