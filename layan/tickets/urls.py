from django.urls import path, re_path

from layan.tickets import views

app_name = "tickets"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.ticket_create, name="create"),
    re_path(r"^testimonials\.(?P<kind>json|html)$", views.testimonials_export, name="testimonials"),
    path("<int:reference>/", views.ticket_detail, name="detail"),
    path("<int:reference>/reply/", views.ticket_reply, name="reply"),
    path("<int:reference>/coach/", views.reply_coach, name="coach"),
    path("<int:reference>/stage/", views.ticket_stage, name="stage"),
    path("<int:reference>/fault/", views.ticket_fault, name="fault"),
    path("<int:reference>/handover-read/", views.ticket_handover_read, name="handover_read"),
    path("<int:reference>/questions/<int:item_id>/", views.ticket_question, name="question"),
    path("<int:reference>/canned/<int:canned_id>/", views.canned_reply, name="canned"),
    path("<int:reference>/note/", views.ticket_note, name="note"),
    path("<int:reference>/update/", views.ticket_update, name="update"),
    path("<int:reference>/take/", views.ticket_take, name="take"),
    path("<int:reference>/tags/", views.ticket_tags, name="tags"),
    path("<int:reference>/evidence/", views.ticket_evidence, name="evidence"),
    path("<int:reference>/entries/<int:seq>/redact/", views.ticket_redact, name="redact"),
    path("<int:reference>/inline/<int:attachment_id>/", views.inline_image, name="inline"),
    path(
        "<int:reference>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
