"""An inbound record's mailbox and a ticket link's ticket lead an index each already
(inbound_unflagged, ticket_link_once): their own indexes go.

See `layan.core.indexes`.
"""

import django.db.models.deletion
from django.db import migrations, models

from layan.core.indexes import fk_indexes_dropped


class Migration(migrations.Migration):

    dependencies = [
        ('channels', '0001_initial'),
        ('tickets', '0008_active_scope_indexes'),
    ]

    operations = [
        fk_indexes_dropped(
            'channels',
            [
                migrations.AlterField(
                    model_name='inboundrecord',
                    name='mailbox',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to='channels.mailbox'),
                ),
                migrations.AlterField(
                    model_name='ticketlink',
                    name='ticket',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='links', to='tickets.ticket'),
                ),
            ],
        ),
    ]
