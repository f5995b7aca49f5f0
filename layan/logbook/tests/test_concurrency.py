"""Writers racing on one ticket never fork or gap its chain (run on PostgreSQL in CI)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from layan.core import clock
from layan.logbook.models import Entry
from layan.logbook.verify import logbook_verify
from layan.team.models import Role
from layan.team.tests.factories import UserFactory
from layan.tickets import services
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_replies_and_notes_keep_one_gap_free_chain() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database with real concurrent connections")
    ticket = make_ticket()
    agents = [UserFactory(role=Role.AGENT) for _ in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(agents))

    def work(agent_index: int) -> None:
        try:
            barrier.wait()
            for number in range(15):
                if number % 2:
                    services.ticket_reply(
                        ticket=ticket, actor=agents[agent_index], text=f"{agent_index}-{number}"
                    )
                else:
                    services.ticket_note_add(
                        ticket=ticket, actor=agents[agent_index], text=f"{agent_index}-{number}"
                    )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(agents))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    seqs = list(
        Entry.objects.filter(chain=ticket.chain).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, 2 + 60 + 1))
    report = logbook_verify(now=clock.now() + timedelta(minutes=1), ticket=str(ticket.reference))
    assert report.ok, [finding.describe() for finding in report.findings]
