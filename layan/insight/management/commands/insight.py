"""`layan insight predict|evaluate`: run the offline text analysis from the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from layan.insight.analysis import predict
from layan.insight.corpus import FORMATS, TASKS, CorpusError, detect_format, read_examples
from layan.insight.evaluation import evaluate


class Command(BaseCommand):
    help = (
        "Predict a label for each line of text, or evaluate a task on a labelled file. "
        "predict writes one JSON object per input line, in order; an empty line gets the "
        "answer for empty text."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        run = actions.add_parser("predict", help="label one text per line (UTF-8)")
        run.add_argument("--task", required=True, choices=TASKS)
        run.add_argument("file", nargs="?", default="-", help="input file, or - for stdin")
        check = actions.add_parser("evaluate", help="score a task on a labelled file")
        check.add_argument("--task", required=True, choices=TASKS)
        check.add_argument("file", help="labelled file (SmSA, PRDECT-ID, EmoT, hate speech, Layan)")
        check.add_argument("--format", choices=FORMATS, help="file format (default: detect)")
        check.add_argument("--json", action="store_true", help="print one JSON line")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "predict":
                self._predict(options["task"], options["file"])
            else:
                self._evaluate(options["task"], options["file"], options["format"], options["json"])
        except FileNotFoundError as error:
            raise CommandError(f"file not found: {error.filename}") from None
        except UnicodeDecodeError:
            raise CommandError("input is not valid UTF-8") from None
        except CorpusError as error:
            raise CommandError(str(error)) from None

    def _predict(self, task: str, name: str) -> None:
        with _lines(name) as lines:
            for line in lines:
                result = predict(task, line.rstrip("\r\n")).to_dict()
                self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _evaluate(self, task: str, name: str, fmt: str | None, as_json: bool) -> None:
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"file not found: {name}")
        kind = fmt or detect_format(path)
        examples = read_examples(path, task, format=kind)
        if not examples:
            raise CommandError(f"{name}: no labelled examples for {task}")
        result = evaluate(examples, lambda text: predict(task, text).label)
        if as_json:
            line = {"task": task, "file": name, "format": kind, **result.to_dict()}
            self.stdout.write(json.dumps(line, ensure_ascii=False))
        else:
            self.stdout.write(f"task      {task}\nfile      {name} ({kind})\n{result.table()}")


@contextmanager
def _lines(name: str) -> Iterator[IO[str]]:
    if name == "-":
        stream = sys.stdin
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="strict")
        yield stream
        return
    with Path(name).open(encoding="utf-8", newline="") as handle:
        yield handle
