from django.db import migrations


def install(apps, schema_editor):
    from layan.search.schema import search_install

    search_install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from layan.search.schema import search_uninstall

    search_uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_playbook"), ("logbook", "0005_playbook")]
    operations = [migrations.RunPython(install, uninstall)]
