"""A ticket's customer, requester, owner and team, a tone's contact, a checklist tick's and a
stage spell's ticket lead an index each already: their own indexes go.

See `layan.core.indexes`.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from layan.core.indexes import fk_indexes_dropped


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_key_indexes_dropped'),
        ('team', '0003_api_token'),
        ('tickets', '0008_active_scope_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        fk_indexes_dropped(
            'tickets',
            [
                migrations.AlterField(
                    model_name='checklisttick',
                    name='ticket',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='ticks', to='tickets.ticket'),
                ),
                migrations.AlterField(
                    model_name='stagespell',
                    name='ticket',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='stage_spells', to='tickets.ticket'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='customer',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='customers.customer', verbose_name='customer'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='owner',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='owned_tickets', to=settings.AUTH_USER_MODEL, verbose_name='owner'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='requester',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='customers.contact', verbose_name='requester'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='team',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tickets', to='team.team', verbose_name='team'),
                ),
                migrations.AlterField(
                    model_name='tone',
                    name='contact',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tones', to='customers.contact'),
                ),
            ],
        ),
    ]
