"""The default calendar (Jakarta office hours) and the default policy every ticket falls back to."""

from django.db import migrations

CALENDAR = "Jam kantor (WIB)"
POLICY = "Standar"
OFFICE_HOURS = {
    "0": ["08:00-12:00", "13:00-17:00"],
    "1": ["08:00-12:00", "13:00-17:00"],
    "2": ["08:00-12:00", "13:00-17:00"],
    "3": ["08:00-12:00", "13:00-17:00"],
    "4": ["08:00-11:30", "13:00-17:00"],
}
# Working minutes per priority: urgent, high, normal, low.
TARGETS = {
    "first_response": (30, 60, 240, 480),
    "next_response": (60, 120, 480, 960),
    "resolution": (480, 960, 2400, 4800),
}
PRIORITIES = ("urgent", "high", "normal", "low")


def create(apps, schema_editor):
    Calendar = apps.get_model("sla", "Calendar")
    Policy = apps.get_model("sla", "Policy")
    PolicyTarget = apps.get_model("sla", "PolicyTarget")
    if not Calendar.objects.filter(is_default=True).exists():
        Calendar.objects.create(
            name=CALENDAR, zone="Asia/Jakarta", hours=OFFICE_HOURS, is_default=True
        )
    if not Policy.objects.filter(is_default=True).exists():
        policy = Policy.objects.create(
            name=POLICY,
            is_default=True,
            position=1000,
            pause_statuses=["waiting_customer", "waiting_third_party"],
        )
        PolicyTarget.objects.bulk_create(
            PolicyTarget(policy=policy, metric=metric, priority=priority, minutes=minutes)
            for metric, values in TARGETS.items()
            for priority, minutes in zip(PRIORITIES, values, strict=True)
        )


def remove(apps, schema_editor):
    apps.get_model("sla", "Policy").objects.filter(name=POLICY, is_default=True).delete()
    Calendar = apps.get_model("sla", "Calendar")
    ids = list(Calendar.objects.filter(name=CALENDAR, is_default=True).values_list("pk", flat=True))
    apps.get_model("sla", "CalendarHoliday").objects.filter(calendar_id__in=ids).delete()
    # The historical Calendar trips the deletion collector over its PROTECT relation from
    # Policy; nothing refers to it any more, so a plain DELETE is enough.
    for pk in ids:
        schema_editor.execute(f"DELETE FROM {Calendar._meta.db_table} WHERE id = %s", [pk])


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_calendars_policies_ticket_sla")]

    operations = [migrations.RunPython(create, remove)]
