from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from layan.tickets.testimonials import testimonials_html, testimonials_json


class Command(BaseCommand):
    help = "Export the testimonials customers allowed us to publish (JSON or an HTML fragment)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["json", "html"], default="json")
        parser.add_argument("-o", "--output", help="Write to this file instead of stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = testimonials_json() if options["format"] == "json" else testimonials_html()
        if options["output"]:
            Path(options["output"]).write_text(text)
        else:
            self.stdout.write(text)
