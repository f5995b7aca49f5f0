from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from layan.api import api


class Command(BaseCommand):
    help = "Print (or write) the API's OpenAPI document; docs/api/openapi.json is its snapshot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-o", "--output", help="Write to this file instead of stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = openapi_text()
        if options["output"]:
            Path(options["output"]).write_text(text)
        else:
            self.stdout.write(text, ending="")


def openapi_text() -> str:
    return (
        json.dumps(api.get_openapi_schema(path_prefix="/api/v1"), indent=2, sort_keys=True) + "\n"
    )
