from django.urls import path

from layan.agreements import views

app_name = "agreements"
urlpatterns = [
    path("pipeline/", views.pipeline, name="pipeline"),
    path("pipeline/deals/new/", views.deal_create, name="deal_create"),
    path("pipeline/deals/<int:pk>/", views.deal_detail, name="deal"),
    path("pipeline/deals/<int:pk>/move/", views.deal_move, name="deal_move"),
    path("orders/", views.order_list, name="orders"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/<int:number>/", views.order_detail, name="order"),
    path("orders/<int:number>/approve/", views.order_approve, name="order_approve"),
    path("orders/<int:number>/promise/", views.order_promise, name="order_promise"),
    path("orders/<int:number>/deliver/", views.order_deliver, name="order_deliver"),
    path("orders/<int:number>/delay/", views.order_delay, name="order_delay"),
    path("orders/<int:number>/link/", views.order_link, name="order_link"),
    path(
        "orders/<int:number>/change-request/",
        views.order_change_request,
        name="order_change_request",
    ),
    path("orders/<int:number>/versions/new/", views.version_create, name="version_create"),
    path(
        "orders/<int:number>/versions/<int:version>/edit/",
        views.version_edit,
        name="version_edit",
    ),
    path(
        "orders/<int:number>/versions/<int:version>/send/",
        views.version_send,
        name="version_send",
    ),
    path("orders/<int:number>/diff/", views.version_diff, name="version_diff"),
    path(
        "orders/<int:number>/files/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path("orders/<int:number>/invoices/", views.invoice_create, name="invoice_create"),
    path("orders/<int:number>/invoices/<int:pk>/paid/", views.invoice_paid, name="invoice_paid"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/revenue/", views.revenue_entry, name="revenue"),
    path("portfolio/targets/", views.target_entry, name="targets"),
    path("portfolio/import/", views.csv_upload, name="import"),
    path("portfolio/export/<str:kind>.csv", views.csv_download, name="export"),
    path("portfolio/verdicts/<int:pk>/", views.verdict, name="verdict"),
]
