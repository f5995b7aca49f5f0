"""The periodic jobs of an installation, run by `layan scheduler` (started by `layan run`)."""

from __future__ import annotations

from datetime import timedelta

from layan.core.scheduler import Job

JOBS: list[Job] = [
    Job("logbook_checkpoint", timedelta(hours=1), "layan.logbook.tasks.checkpoint_task"),
    Job("sla_scan", timedelta(minutes=1), "layan.sla.tasks.sla_scan_task"),
    Job("mail_poll", timedelta(minutes=1), "layan.channels.tasks.mail_poll_task"),
    Job("outbox_sweep", timedelta(minutes=1), "layan.channels.tasks.outbox_sweep_task"),
]
