from __future__ import annotations

from django.conf import settings
from django.tasks import task

from layan.logbook.services import checkpoint_create, checkpoint_mail


@task()
def checkpoint_task() -> int:
    """Sign a checkpoint and mail it to the outside addresses configured, if any."""
    checkpoint = checkpoint_create()
    if settings.LAYAN_CHECKPOINT_MAILTO:
        checkpoint_mail(checkpoint, to=settings.LAYAN_CHECKPOINT_MAILTO)
    return checkpoint.pk
