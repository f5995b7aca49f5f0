"""What each stage of the complaint playbook asks of the agent (read by the ticket page)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from layan.knowledge.models import Stage


@dataclass(frozen=True)
class StageGuide:
    stage: Stage
    asks: Promise


GUIDES = (
    StageGuide(
        Stage.LISTEN,
        _(
            "Let the customer tell it all. Take notes; do not defend yet. "
            "Tick the questions you asked."
        ),
    ),
    StageGuide(
        Stage.CLARIFY,
        _("Ask until you can state the problem in one sentence the customer agrees with."),
    ),
    StageGuide(
        Stage.EXPLAIN,
        _(
            "Re-explain the SOP and what was agreed. Cite the article, so "
            "the version you quoted is on record."
        ),
    ),
    StageGuide(
        Stage.OPTIONS,
        _("Offer solutions, including the option to leave us. Let the customer choose."),
    ),
    StageGuide(
        Stage.RESOLVE,
        _(
            "If we were wrong, apologise and put it right. If our system "
            "was right, stand by it politely."
        ),
    ),
    StageGuide(
        Stage.RECONCILE, _("Reconnect — a call, a coffee — then close the loop and ask how we did.")
    ),
)
