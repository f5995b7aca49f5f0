from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from layan.reports.forms import DEFAULT_DAYS
from layan.reports.queries import (
    GROUPINGS,
    MEASURES,
    SLA_GROUPINGS,
    Period,
    fairness_for,
    sla_summary,
)
from layan.tickets.models import Ticket


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text!r}") from error


class Command(BaseCommand):
    help = "Print the SLA or fairness report of every ticket opened in a period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("report", choices=["sla", "fairness"])
        parser.add_argument("--since", type=_date, help="First day (YYYY-MM-DD).")
        parser.add_argument("--until", type=_date, help="Last day, included (default: today).")
        parser.add_argument("--format", choices=["table", "json", "csv"], default="table")
        parser.add_argument("--by", choices=list(SLA_GROUPINGS), default="team", help="sla only")
        parser.add_argument(
            "--measure", choices=list(MEASURES), default="first_response", help="fairness only"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        until = options["until"] or timezone.localdate()
        since = options["since"] or until - dt.timedelta(days=DEFAULT_DAYS - 1)
        if since > until:
            raise CommandError("--since must not be after --until.")
        period = Period(since=since, until=until)
        head = {"report": options["report"], "since": str(since), "until": str(until)}
        if options["report"] == "sla":
            rows = [
                row.as_row()
                for row in sla_summary(Ticket.objects.all(), period=period, by=options["by"])
            ]
            document: dict[str, Any] = head | {"by": options["by"], "rows": rows}
        else:
            sections: list[dict[str, Any]] = []
            for grouping in GROUPINGS:
                section = fairness_for(
                    Ticket.objects.all(),
                    period=period,
                    measure=options["measure"],
                    grouping=grouping,
                )
                if section is not None:
                    sections.append(
                        {
                            "grouping": grouping,
                            "rows": section.report.rows(),
                            "warnings": [group.group for group in section.report.warnings],
                        }
                    )
            document = head | {"measure": options["measure"], "sections": sections}
            rows = [
                {"grouping": section["grouping"]} | row
                for section in sections
                for row in section["rows"]
            ]
        if options["format"] == "json":
            self.stdout.write(json.dumps(document, ensure_ascii=False, default=str))
        elif options["format"] == "csv":
            self._csv(rows)
        else:
            self._table(rows)
            for section in document.get("sections", []):
                for group in section["warnings"]:
                    self.stdout.write(
                        f"WARNING: {section['grouping']} {group} is served notably worse."
                    )

    def _csv(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        writer = csv.DictWriter(self.stdout, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)

    def _table(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            self.stdout.write("No tickets in this period.")
            return
        columns = list(rows[0])
        cells = [[_text(row[column]) for column in columns] for row in rows]
        widths = [
            max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)
        ]
        self.stdout.write("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
        for line in cells:
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
