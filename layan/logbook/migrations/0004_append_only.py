from django.db import migrations


def install(apps, schema_editor):
    from layan.logbook.triggers import triggers_install

    triggers_install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from layan.logbook.triggers import triggers_uninstall

    triggers_uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("logbook", "0003_checkpoints")]
    operations = [migrations.RunPython(install, uninstall)]
