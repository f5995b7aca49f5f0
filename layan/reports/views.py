"""Report pages for managers, admins and account managers (their portfolio), with CSV exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from layan.core.charts import Series, bar_chart, line_chart
from layan.reports.fairness import GroupResult
from layan.reports.forms import (
    FairnessForm,
    PeriodForm,
    PlaybookReportForm,
    SatisfactionReportForm,
    SlaReportForm,
    query_with,
)
from layan.reports.queries import (
    CONSENTS,
    FAULTS,
    GROUPINGS,
    MEASURES,
    PLAYBOOK_GROUPINGS,
    RATINGS,
    SATISFACTION_GROUPINGS,
    FairnessSection,
    PlaybookReport,
    SatisfactionRow,
    can_see_reports,
    fairness_for,
    fairness_tickets,
    fault_label,
    group_label,
    playbook_report,
    report_surveys_for,
    report_tickets_for,
    satisfaction_lowest,
    satisfaction_summary,
    satisfaction_total,
    sla_summaries,
    verdicts_available,
)
from layan.team.auth import staff_user
from layan.team.models import User
from layan.tickets.models import Survey

HOUR = 3600.0


def _reporter(request: HttpRequest) -> User:
    user = staff_user(request)
    if not can_see_reports(user):
        raise PermissionDenied(_("Reports are for managers, admins and account managers."))
    return user


def csv_response(rows: Iterable[Mapping[str, Any]], *, filename: str) -> HttpResponse:
    """Return rows as a CSV download; a cell that a spreadsheet would run as a formula is quoted."""
    buffer = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(buffer, fieldnames=list(row))
            writer.writeheader()
        writer.writerow({key: _cell(value) for key, value in row.items()})
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@require_GET
def sla_report(request: HttpRequest) -> HttpResponse:
    user = _reporter(request)
    form = SlaReportForm(request.GET)
    period, by = form.period(), form.grouping()
    tickets = report_tickets_for(user)
    rows, months = sla_summaries(tickets, period=period, by=by)
    if request.GET.get("format") == "csv":
        return csv_response(
            (
                {"period_from": period.since, "period_until": period.until, "per": by}
                | row.as_row()
                for row in rows
            ),
            filename=f"layan-sla-{by}-{period.since}-{period.until}.csv",
        )
    context = {
        "form": form,
        "period": period,
        "by": by,
        "rows": rows,
        "chart": _sla_bars(rows),
        "trend": _sla_trend(months),
        "csv_query": query_with(request.GET, by=by) + "&format=csv",
    }
    return render(request, "reports/sla.html", context)


def _sla_bars(rows: Sequence[Any]) -> SafeString:
    shown = list(rows)[:12]
    return bar_chart(
        [row.label for row in shown],
        [
            Series(_("First response"), [row.first_response_percent for row in shown]),
            Series(_("Next response"), [row.next_response_percent for row in shown]),
            Series(_("Resolution"), [row.resolution_percent for row in shown]),
        ],
        title=_("SLA met (%)"),
        unit="%",
        height=260,
    )


def _sla_trend(months: Sequence[Any]) -> SafeString:
    return line_chart(
        [row.label for row in months],
        [
            Series(_("First response"), [row.first_response_percent for row in months]),
            Series(_("Resolution"), [row.resolution_percent for row in months]),
        ],
        title=_("SLA met per month (%)"),
        unit="%",
    )


@dataclass(frozen=True)
class GroupView:
    """One group's figures, with the comparison spelled out for the page."""

    result: GroupResult
    label: str
    drill_query: str

    @property
    def rest_median_seconds(self) -> float | None:
        gap, median = self.result.relative_gap, self.result.median_seconds
        if gap is None or median is None:
            return None
        return median / (1 + gap)

    @property
    def rest_sla_percent(self) -> float | None:
        if self.result.sla_gap_points is None or self.result.sla_met_percent is None:
            return None
        return self.result.sla_met_percent - self.result.sla_gap_points

    @property
    def gap_percent(self) -> float | None:
        gap = self.result.relative_gap
        return None if gap is None else round(100 * gap)

    @property
    def prob_slower_percent(self) -> float | None:
        chance = self.result.prob_slower
        return None if chance is None else round(100 * chance)


@dataclass(frozen=True)
class SectionView:
    section: FairnessSection
    groups: list[GroupView]
    overall: GroupView
    chart: SafeString


def _section_view(section: FairnessSection, request: HttpRequest) -> SectionView:
    def view(result: GroupResult, group: str) -> GroupView:
        query = query_with(
            request.GET, measure=section.measure, grouping=section.grouping, group=group
        )
        return GroupView(result=result, label=section.label(result.group), drill_query=query)

    groups = [view(result, result.group) for result in section.report.groups]
    overall = view(section.report.overall, "")
    overall = GroupView(
        result=overall.result, label=_("All tickets"), drill_query=overall.drill_query
    )
    chart = bar_chart(
        [group.label for group in groups],
        [
            Series(_("Median"), [_hours(g.result.median_seconds) for g in groups]),
            Series(_("90th percentile"), [_hours(g.result.p90_seconds) for g in groups]),
        ],
        title=_("%(measure)s time by %(grouping)s (hours)")
        % {"measure": section.measure_label, "grouping": section.grouping_label.lower()},
        unit=" h",
        reference=_hours(section.report.overall.median_seconds),
        reference_label=_("median of all tickets"),
        height=240,
    )
    return SectionView(section=section, groups=groups, overall=overall, chart=chart)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / HOUR, 1)


@require_GET
def fairness(request: HttpRequest) -> HttpResponse:
    user = _reporter(request)
    form = FairnessForm(request.GET)
    period, measure = form.period(), form.chosen_measure()
    tickets = report_tickets_for(user)
    sections = [
        section
        for grouping in GROUPINGS
        if (section := fairness_for(tickets, period=period, measure=measure, grouping=grouping))
    ]
    if request.GET.get("format") == "csv":
        return csv_response(
            (
                {
                    "period_from": period.since,
                    "period_until": period.until,
                    "measure": section.measure,
                    "grouping": section.grouping,
                }
                | row
                for section in sections
                for row in section.report.rows()
            ),
            filename=f"layan-fairness-{measure}-{period.since}-{period.until}.csv",
        )
    params = sections[0].report.params if sections else None
    context = {
        "form": form,
        "period": period,
        "measure": measure,
        "measure_label": MEASURES[measure],
        "sections": [_section_view(section, request) for section in sections],
        "verdicts_missing": not verdicts_available(),
        "params": params,
        "alpha_percent": round(100 * params.alpha, 1) if params else None,
        "gap_percent": round(100 * params.min_relative_gap) if params else None,
        "csv_query": query_with(request.GET, measure=measure) + "&format=csv",
    }
    return render(request, "reports/fairness.html", context)


@require_GET
def fairness_drill(request: HttpRequest) -> HttpResponse:
    """List the tickets behind one group's figures in the fairness report."""
    user = _reporter(request)
    form = FairnessForm(request.GET)
    period, measure = form.period(), form.chosen_measure()
    grouping = request.GET.get("grouping", "tier")
    if grouping not in GROUPINGS:
        grouping = "tier"
    group = request.GET.get("group", "")[:40]
    rows = fairness_tickets(
        report_tickets_for(user), period=period, measure=measure, grouping=grouping, group=group
    )
    if request.GET.get("format") == "csv":
        return csv_response(
            (
                {
                    "reference": row.reference,
                    "subject": row.subject,
                    "customer": row.customer,
                    "group": row.group,
                    "created_at": row.created_at.isoformat(),
                    "seconds": row.seconds,
                    "met": row.met,
                }
                for row in rows
            ),
            filename=f"layan-fairness-{grouping}-{group or 'all'}-{measure}.csv",
        )
    context = {
        "form": PeriodForm(request.GET),
        "period": period,
        "measure": measure,
        "measure_label": MEASURES[measure],
        "grouping": grouping,
        "grouping_label": GROUPINGS[grouping],
        "group": group,
        "group_label": group_label(grouping, group) if group else _("All tickets"),
        "rows": rows,
        "back_query": query_with(request.GET, measure=measure),
        "csv_query": query_with(request.GET, measure=measure, grouping=grouping, group=group)
        + "&format=csv",
    }
    return render(request, "reports/fairness_tickets.html", context)


@require_GET
def playbook(request: HttpRequest) -> HttpResponse:
    """How complaints move through the playbook: outcomes, and time spent in each stage."""
    user = _reporter(request)
    form = PlaybookReportForm(request.GET)
    period, by = form.period(), form.grouping()
    report = playbook_report(report_tickets_for(user), period=period, by=by)
    if request.GET.get("format") == "csv":
        return csv_response(
            (
                {"period_from": period.since, "period_until": period.until, "per": by} | row
                for row in _playbook_rows(report)
            ),
            filename=f"layan-playbook-{by}-{period.since}-{period.until}.csv",
        )
    context = {
        "form": form,
        "period": period,
        "by": by,
        "by_label": PLAYBOOK_GROUPINGS[by],
        "report": report,
        "total": report.total,
        "fault_labels": [fault_label(fault) for fault in FAULTS],
        "stage_labels": [row.label for row in report.stages],
        "chart": bar_chart(
            [row.label for row in report.stages],
            [
                Series(_("Median"), [_hours(row.median_seconds) for row in report.stages]),
                Series(_("90th percentile"), [_hours(row.p90_seconds) for row in report.stages]),
            ],
            title=_("Time in each stage (hours)"),
            unit=" h",
            height=260,
        ),
        "csv_query": query_with(request.GET, by=by) + "&format=csv",
    }
    return render(request, "reports/playbook.html", context)


def _playbook_rows(report: PlaybookReport) -> Iterable[dict[str, Any]]:
    """One CSV row per group, then the total: outcome counts, then hours in each stage."""
    by_key = {row.key: row for row in report.groups}
    for outcome in [*report.outcomes, report.total]:
        row = outcome.as_row()
        group = by_key.get(outcome.key)
        for stage in report.stages:
            if outcome.key:
                timed = group.timed[stage.stage] if group else 0
                median = group.median_seconds[stage.stage] if group else None
                p90 = group.p90_seconds[stage.stage] if group else None
            else:
                timed, median, p90 = stage.timed, stage.median_seconds, stage.p90_seconds
            row[f"{stage.stage}_timed"] = timed
            row[f"{stage.stage}_median_hours"] = _hours_exact(median)
            row[f"{stage.stage}_p90_hours"] = _hours_exact(p90)
        yield row


def _hours_exact(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / HOUR, 2)


@require_GET
def satisfaction(request: HttpRequest) -> HttpResponse:
    """What customers said in the satisfaction surveys sent in a period."""
    user = _reporter(request)
    form = SatisfactionReportForm(request.GET)
    period, by = form.period(), form.grouping()
    surveys = report_surveys_for(user)
    rows = satisfaction_summary(surveys, period=period, by=by)
    total = satisfaction_total(rows)
    if request.GET.get("format") == "csv":
        return csv_response(
            (
                {"period_from": period.since, "period_until": period.until, "per": by}
                | row.as_row()
                for row in [*rows, total]
            ),
            filename=f"layan-satisfaction-{by}-{period.since}-{period.until}.csv",
        )
    context = {
        "form": form,
        "period": period,
        "by": by,
        "by_label": SATISFACTION_GROUPINGS[by],
        "rows": rows,
        "total": total,
        "ratings": RATINGS,
        "consent_labels": [Survey.Consent(consent).label for consent in CONSENTS],
        "lowest": satisfaction_lowest(surveys, period=period, viewer=user),
        "chart": _rating_bars(total),
        "csv_query": query_with(request.GET, by=by) + "&format=csv",
    }
    return render(request, "reports/satisfaction.html", context)


def _rating_bars(total: SatisfactionRow) -> SafeString:
    return bar_chart(
        [str(rating) for rating in RATINGS],
        [Series(_("Answers"), [float(count) for count in total.rating_counts])],
        title=_("Answers per rating (1 = very unhappy, 5 = very happy)"),
        height=220,
    )
