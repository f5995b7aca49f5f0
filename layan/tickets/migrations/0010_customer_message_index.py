"""The tickets of a customer with the newest customer messages first, for the verdict
suggestion's reading of their messages (`agreements.queries._message_signals`)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0009_key_indexes_dropped'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['customer', '-last_customer_message_at'], name='ticket_customer_message'),
        ),
    ]
