"""A customer's account manager and a membership's contact and customer lead an index each
already (customer_am_name, membership_unique, membership_customer): their own indexes go.

See `layan.core.indexes`.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from layan.core.indexes import fk_indexes_dropped


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0005_customer_name_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        fk_indexes_dropped(
            'customers',
            [
                migrations.AlterField(
                    model_name='customer',
                    name='account_manager',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='portfolio', to=settings.AUTH_USER_MODEL, verbose_name='account manager'),
                ),
                migrations.AlterField(
                    model_name='membership',
                    name='contact',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='customers.contact'),
                ),
                migrations.AlterField(
                    model_name='membership',
                    name='customer',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='customers.customer'),
                ),
            ],
        ),
    ]
