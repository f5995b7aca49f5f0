"""An entry's chain and actor contact, an attachment's entry and a checkpoint head's chain lead
an index each already ((chain, seq), entry_contact_time, attachment_position,
checkpoint_head_once): their own indexes go.

See `layan.core.indexes`.
"""

import django.db.models.deletion
from django.db import migrations, models

from layan.core.indexes import fk_indexes_dropped


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_key_indexes_dropped'),
        ('logbook', '0005_playbook'),
    ]

    operations = [
        fk_indexes_dropped(
            'logbook',
            [
                migrations.AlterField(
                    model_name='checkpointhead',
                    name='chain',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='logbook.chain'),
                ),
                migrations.AlterField(
                    model_name='entry',
                    name='actor_contact',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.contact'),
                ),
                migrations.AlterField(
                    model_name='entry',
                    name='chain',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='logbook.chain'),
                ),
                migrations.AlterField(
                    model_name='entryattachment',
                    name='entry',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='attachments', to='logbook.entry'),
                ),
            ],
        ),
    ]
