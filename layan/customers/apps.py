from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "layan.customers"
    label = "customers"
