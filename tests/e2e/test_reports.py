"""A manager opens the reports: the fairness comparison and its drill-down to the tickets, then
the complaint playbook and the satisfaction surveys on the demo business."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone, translation

from layan.demo import demo_load
from layan.knowledge.models import Stage
from layan.reports.queries import Period, playbook_report, satisfaction_summary, satisfaction_total
from layan.sla.templatetags.sla import duration
from layan.tickets.models import Category, Survey, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "demo-password-123"


def test_fairness_report_and_drill_down(page, live_server, artifacts: Path) -> None:
    demo_load(password=PASSWORD, ticket_count=120)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "dewi")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/tickets/")

    page.click("nav.mainnav a[href='/reports/']")
    page.wait_for_selector("#sla-table")
    page.click(".report-tabs a[href^='/reports/fairness/']")
    page.wait_for_selector("#by-tier")
    page.wait_for_load_state()  # the rest of the page, not only its first part
    assert page.locator("#by-tier svg.chart").count() == 1
    small = page.locator("#by-tier tr[data-group='small']")
    assert small.count() == 1
    tickets_in_group = int(small.locator("td.num").first.inner_text())
    label = small.locator("a.drill").text_content()
    page.screenshot(path=str(artifacts / "fairness.png"), full_page=True)

    small.locator("a.drill").click()
    page.wait_for_selector("#drill-table")
    assert page.locator("h1").inner_text().startswith(label)
    rows = page.locator("#drill-table tbody tr")
    assert rows.count() == tickets_in_group
    page.screenshot(path=str(artifacts / "fairness-tickets.png"))

    rows.first.locator("td.col-ref a").click()
    page.wait_for_selector("#sla .sla-metric")
    assert page.locator("#sla .sla-state").count() >= 2
    page.screenshot(path=str(artifacts / "ticket-sla.png"))


def _login(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "dewi")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/tickets/")


def _numbers(row) -> list[str]:  # type: ignore[no-untyped-def]
    return [text.strip() for text in row.locator("td.num").all_inner_texts()]


def test_playbook_and_satisfaction_reports_show_each_step(
    page, live_server, artifacts: Path
) -> None:  # type: ignore[no-untyped-def]
    """Every stage of the playbook appears with the figures the database holds for it, and the
    satisfaction report splits the demo's survey answers per ticket category."""
    demo_load(password=PASSWORD, ticket_count=120)
    # The demo spans the last 130 days; the period is explicit, so the page and the figures
    # computed here cover the same complaints whatever the time of day.
    until = timezone.localdate()
    since = until - dt.timedelta(days=140)
    period = Period(since=since, until=until)
    expected = playbook_report(Ticket.objects.all(), period=period, by="team")
    surveys = satisfaction_summary(Survey.objects.all(), period=period, by="category")
    # The demo walks complaints through the whole playbook and answers surveys.
    assert expected.total.complaints > 0 and expected.total.reconciled > 0
    assert all(row.complaints > 0 and row.timed > 0 for row in expected.stages)
    assert satisfaction_total(surveys).answered > 0

    _login(page, live_server)
    page.click("nav.mainnav a[href='/reports/']")
    page.wait_for_selector("#sla-table")
    page.click(".report-tabs a[href^='/reports/playbook/']")
    page.wait_for_selector("#stage-table")
    page.fill("#id_since", since.isoformat())
    page.fill("#id_until", until.isoformat())
    page.click("form.filters button")
    page.wait_for_url(re.compile(rf"/reports/playbook/\?.*since={since.isoformat()}"))
    page.wait_for_load_state()
    language = page.locator("html").get_attribute("lang") or "id"

    figures = page.locator("#playbook-figures .figure-value")
    figures.nth(4).wait_for()
    total = expected.total
    assert figures.all_inner_texts() == [
        str(value)
        for value in (total.complaints, total.done, total.active, total.reconciled, total.reopened)
    ]
    assert page.locator("#playbook-figures + .report-charts svg.chart").count() == 1
    with translation.override(language):
        for row in expected.stages:
            line = page.locator(f"#stage-table tr[data-stage='{row.stage}']")
            line.wait_for()
            assert line.locator("th").inner_text().strip() == str(Stage(row.stage).label)
            numbers = _numbers(line)
            assert numbers[0] == str(row.complaints)
            assert numbers[1] == duration(row.median_seconds) != "—"
            assert numbers[2] == duration(row.p90_seconds)
            assert (numbers[3], numbers[4], numbers[6]) == (
                str(row.timed),
                str(row.current),
                str(row.skipped),
            )
    groups = page.locator("#outcome-table tbody tr")
    groups.nth(len(expected.outcomes)).wait_for()  # the groups, then the total
    assert groups.count() == len(expected.outcomes) + 1
    assert _numbers(groups.last) == [
        str(value)
        for value in (
            total.complaints,
            total.done,
            total.active,
            total.reconciled,
            total.reopened,
            *total.fault_counts,
        )
    ]
    page.screenshot(path=str(artifacts / "report-playbook.png"), full_page=True)

    page.click(".report-tabs a[href^='/reports/satisfaction/']")
    page.wait_for_selector("#satisfaction-table")
    page.select_option("#id_by", "category")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r"/reports/satisfaction/\?.*by=category"))
    page.wait_for_load_state()
    rows = page.locator("#satisfaction-table tbody tr")
    rows.nth(len(surveys)).wait_for()
    assert rows.count() == len(surveys) + 1
    with translation.override(language):
        for index, row in enumerate(surveys):
            line = rows.nth(index)
            assert line.locator("th").inner_text().strip() == str(Category(row.key).label)
            assert _numbers(line)[:2] == [str(row.sent), str(row.answered)]
    complaints = next(row for row in surveys if row.key == "complaint")
    assert complaints.answered > 0
    everything = satisfaction_total(surveys)
    assert _numbers(rows.last)[:2] == [str(everything.sent), str(everything.answered)]
    lowest = page.locator("#lowest .low-answers li .rating-pill")
    lowest.first.wait_for()
    worst = min(rating for rating, count in everything.ratings.items() if count)
    assert lowest.first.inner_text().strip() == f"{worst}/5"
    page.screenshot(path=str(artifacts / "report-satisfaction.png"), full_page=True)
