from django.db import migrations


def fill(apps, schema_editor):
    from layan.search.services import search_rebuild

    search_rebuild(connection=schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_ticket_search")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
