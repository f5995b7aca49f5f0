"""A manager opens the fairness report, reads the comparison and drills down to the tickets."""

from pathlib import Path

import pytest

from layan.demo import demo_load

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
