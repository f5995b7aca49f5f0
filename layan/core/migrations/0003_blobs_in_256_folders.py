"""Blobs move from `ab/cd/<digest>` to `ab/<digest>` (see `blob_storage_name`).

Moving files is not part of the database's transaction: should this stop halfway, the blobs
moved so far stay moved, and running `layan migrate` again moves the rest.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from layan.core.blobs import blobs_rename


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    blobs_rename()


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    blobs_rename(back=True)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_scheduled_jobs")]

    operations = [migrations.RunPython(forward, backward)]
