"""Advise on a draft reply to a customer: courtesy, the customer's name, blame, vague promises.

The coach never blocks sending. It returns hints (what to improve, in Indonesian and English,
with the spans of the draft they concern), the good things it found (for the UI's tick boxes)
and a score from 0 to 100.

What it looks for lives in the TOML files of `rules/`, explained at their top: `coach.toml`
holds the hints and their wording, `coach.<language>.toml` the phrases of each language. Only
the reply's own text is read: quoted earlier messages and the signature below a sign-off are
left out, so a name that appears only there does not count.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import re
import string
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn, cast

Severity = Literal["info", "warning"]
Span = tuple[int, int]

RULES_DIR = Path(__file__).resolve().parent / "rules"
UI_LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
FAULTS = frozenset({"", "ours", "customer", "third_party", "undetermined"})
# An apology that admits liability is a warning whenever fault has been assessed and is not ours.
NOT_OUR_FAULT = frozenset({"customer", "third_party", "undetermined"})

EXPECTED = ("greeting", "thanks", "apology", "sop_reference", "concrete_time")
FOUND = ("greeting", "name", "honorific", "thanks", "apology", "sop_reference", "concrete_time")
BUILT_IN_HINTS = (
    "greeting_missing",
    "name_missing",
    "honorific_missing",
    "honorific_mismatch",
    "thanks_missing",
    "apology_missing",
    "all_caps",
    "sop_missing",
    "repeated_reply",
)
EXAMPLES = ("address", "greeting", "thanks", "apology", "sop", "deadline")
PLACEHOLDERS = frozenset(EXAMPLES)

OPENING_LINES = 2
MAX_SIGNATURE_LINES = 8
# Comparing words, not characters, and only the first few hundred keeps the comparison with
# earlier replies fast; a reply that starts the same way is repeated anyway.
REPEAT_WORDS = 300
# A signature line is a name, a job title or a phone number, not a sentence.
MAX_SIGNATURE_SENTENCE_WORDS = 3

_LINE = re.compile(r"^.*$", re.MULTILINE)
_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_END = re.compile(r"[.!?…]+(?=\s|$)|\n[ \t]*\n")
# E-mail addresses and links may be in capitals; the e-mail branch starts only where a token
# starts, so a long token cannot make the search quadratic.
_NOT_TEXT = re.compile(r"(?<!\S)\S+@\S+|https?://\S+|www\.\S+", re.IGNORECASE)
_FLAGS = re.IGNORECASE | re.MULTILINE


class RuleError(ValueError):
    """A rules file is malformed; the message names the file and the rule."""


# --- Results -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hint:
    """One piece of advice, worded in every UI language."""

    code: str
    severity: Severity
    message: Mapping[str, str]
    suggestion: Mapping[str, str]
    spans: tuple[Span, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": dict(self.message),
            "suggestion": dict(self.suggestion),
            "spans": [list(span) for span in self.spans],
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """Something good the reply does, such as greeting the customer by name."""

    code: str
    label: Mapping[str, str]
    spans: tuple[Span, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": dict(self.label),
            "spans": [list(span) for span in self.spans],
        }


@dataclass(frozen=True, slots=True)
class CoachReport:
    """The coach's advice on one draft: warnings first, then in the order of `coach.toml`."""

    language: str
    score: int
    hints: tuple[Hint, ...]
    found: tuple[Finding, ...]

    @property
    def hint_codes(self) -> tuple[str, ...]:
        return tuple(hint.code for hint in self.hints)

    @property
    def found_codes(self) -> tuple[str, ...]:
        return tuple(finding.code for finding in self.found)

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "score": self.score,
            "hints": [hint.to_dict() for hint in self.hints],
            "found": [finding.to_dict() for finding in self.found],
        }


# --- Rules ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Matcher:
    """Compiled phrases and patterns of one list, and the `unless` entries that cancel finds."""

    regexes: tuple[re.Pattern[str], ...] = ()
    unless: tuple[re.Pattern[str], ...] = ()

    def spans(self, text: str) -> list[Span]:
        """Return the merged spans of every find in `text` that no `unless` entry contains."""
        cancelled = [match.span() for regex in self.unless for match in regex.finditer(text)]
        found = [
            match.span()
            for regex in self.regexes
            for match in regex.finditer(text)
            if match.end() > match.start()
            and not any(start <= match.start() and match.end() <= end for start, end in cancelled)
        ]
        return _merge(found)

    def __add__(self, other: Matcher) -> Matcher:
        return Matcher(self.regexes + other.regexes, self.unless + other.unless)


@dataclass(frozen=True, slots=True)
class HintRule:
    code: str
    severity: Severity
    weight: int
    message: Mapping[str, str]
    suggestion: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Honorific:
    language: str
    title: str
    written: frozenset[str]
    contact: frozenset[str]


@dataclass(frozen=True, slots=True)
class LanguageRules:
    code: str
    words: frozenset[str]
    examples: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything the coach looks for, loaded from one rules folder."""

    hints: Mapping[str, HintRule]
    labels: Mapping[str, Mapping[str, str]]
    languages: Mapping[str, LanguageRules]
    honorifics: tuple[Honorific, ...]
    address_words: frozenset[str]
    expect: Mapping[str, Matcher]
    flags: Mapping[str, Matcher]
    sign_off: Matcher
    quote_header: Matcher
    acronyms: frozenset[str]
    ticket_reference: Matcher
    caps_min_letters: int
    repeat_similarity: float
    repeat_min_length: int


@functools.cache
def load_rules(directory: Path = RULES_DIR) -> Rules:
    """Load and validate `coach.toml` and every `coach.<language>.toml` in `directory`, once.

    Raises RuleError naming the file and the rule when something is wrong.
    """
    main_file = directory / "coach.toml"
    data = _read_toml(main_file)
    _only(data, {"hint", "found", "all_caps", "repeat"}, main_file, "top level")
    hints = {
        code: _hint_rule(code, table, main_file)
        for code, table in _tables(data, "hint", main_file).items()
    }
    labels = {}
    for code, table in _tables(data, "found", main_file).items():
        _only(table, {"label"}, main_file, f"found.{code}")
        label = _table(table, "label", main_file, f"found.{code}")
        labels[code] = _bilingual(label, main_file, f"found.{code}.label")
    for code in BUILT_IN_HINTS:
        if code not in hints:
            _fail(main_file, f"hint.{code}", "is missing; the coach gives this hint itself")
    for code in FOUND:
        if code not in labels:
            _fail(main_file, f"found.{code}", "is missing; the UI shows this tick box")
    caps = _table(data, "all_caps", main_file, "all_caps")
    _only(caps, {"min_letters", "acronyms", "ticket_reference"}, main_file, "all_caps")
    repeat = _table(data, "repeat", main_file, "repeat")
    _only(repeat, {"similarity", "min_length"}, main_file, "repeat")
    similarity = _value(repeat, "similarity", (int, float), main_file, "repeat")
    if not 0 < similarity <= 1:
        _fail(main_file, "repeat", "similarity must be between 0 and 1")

    language_files = sorted(directory.glob("coach.*.toml"))
    if not language_files:
        raise RuleError(f"{directory}: no coach.<language>.toml file")
    languages: dict[str, LanguageRules] = {}
    honorifics: list[Honorific] = []
    address_words: set[str] = set()
    expect: dict[str, Matcher] = {what: Matcher() for what in EXPECTED}
    flags: dict[str, Matcher] = {}
    sign_off = quote_header = Matcher()
    for path in language_files:
        data = _read_toml(path)
        language = _language_rules(data, path)
        languages[language.code] = language
        honorifics += [
            _honorific(entry, language.code, path, index)
            for index, entry in enumerate(_list(data, "honorific", path, "honorific", dict))
        ]
        address = _table(data, "address", path, "address", required=False)
        _only(address, {"written"}, path, "address")
        address_words |= {word.lower() for word in _strings(address, "written", path, "address")}
        text = _tables(data, "text", path)
        _only(text, {"sign_off", "quote_header"}, path, "text")
        sign_off += _matcher(text.get("sign_off", {}), path, "text.sign_off")
        quote_header += _matcher(text.get("quote_header", {}), path, "text.quote_header")
        for what, table in _tables(data, "expect", path).items():
            if what not in expect:
                _fail(path, f"expect.{what}", f"is unknown; expected one of {', '.join(EXPECTED)}")
            expect[what] += _matcher(table, path, f"expect.{what}")
        for code, table in _tables(data, "flag", path).items():
            if code not in hints:
                _fail(path, f"flag.{code}", f"has no [hint.{code}] in coach.toml")
            flags[code] = flags.get(code, Matcher()) + _matcher(table, path, f"flag.{code}")

    return Rules(
        hints=hints,
        labels=labels,
        languages=languages,
        honorifics=tuple(honorifics),
        address_words=frozenset(address_words),
        expect=expect,
        flags=flags,
        sign_off=sign_off,
        quote_header=quote_header,
        acronyms=frozenset(_strings(caps, "acronyms", main_file, "all_caps")),
        ticket_reference=Matcher(
            tuple(
                _compile(pattern, main_file, "all_caps.ticket_reference", flags=0)
                for pattern in _strings(caps, "ticket_reference", main_file, "all_caps")
            )
        ),
        caps_min_letters=_value(caps, "min_letters", int, main_file, "all_caps"),
        repeat_similarity=float(similarity),
        repeat_min_length=_value(repeat, "min_length", int, main_file, "repeat"),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise RuleError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise RuleError(f"{path.name}: not valid TOML: {error}") from None


def _fail(path: Path, rule: str, problem: str) -> NoReturn:
    raise RuleError(f"{path.name}: [{rule}] {problem}")


def _only(table: Mapping[str, Any], allowed: set[str], path: Path, rule: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        _fail(
            path, rule, f"unknown key {unknown[0]!r}; expected one of {', '.join(sorted(allowed))}"
        )


def _value(table: Mapping[str, Any], key: str, kind: Any, path: Path, rule: str) -> Any:
    if key not in table:
        _fail(path, rule, f"{key!r} is missing")
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        _fail(path, rule, f"{key!r} has the wrong type")
    return value


def _table(
    table: Mapping[str, Any], key: str, path: Path, rule: str, *, required: bool = True
) -> dict[str, Any]:
    if key not in table and not required:
        return {}
    return cast(dict[str, Any], _value(table, key, dict, path, rule))


def _tables(table: Mapping[str, Any], key: str, path: Path) -> dict[str, dict[str, Any]]:
    """Return the sub-tables of `table[key]`, which may be absent."""
    tables = _table(table, key, path, key, required=False)
    for name, value in tables.items():
        if not isinstance(value, dict):
            _fail(path, f"{key}.{name}", "must be a table")
    return tables


def _list(table: Mapping[str, Any], key: str, path: Path, rule: str, kind: type) -> list[Any]:
    values = table.get(key, [])
    if not isinstance(values, list) or not all(isinstance(value, kind) for value in values):
        _fail(path, rule, f"{key!r} must be a list of {'strings' if kind is str else 'tables'}")
    return values


def _strings(table: Mapping[str, Any], key: str, path: Path, rule: str) -> list[str]:
    values = _list(table, key, path, rule, str)
    if not all(value.strip() for value in values):
        _fail(path, rule, f"{key!r} contains an empty string")
    return values


def _bilingual(table: Mapping[str, Any], path: Path, rule: str) -> dict[str, str]:
    _only(table, set(UI_LANGUAGES), path, rule)
    texts = {language: _value(table, language, str, path, rule) for language in UI_LANGUAGES}
    for language, text in texts.items():
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as error:
            _fail(path, rule, f"{language!r} text has a broken placeholder: {error}")
        unknown = fields - PLACEHOLDERS
        if unknown:
            _fail(path, rule, f"{language!r} text uses unknown placeholder {sorted(unknown)[0]!r}")
    return texts


def _hint_rule(code: str, table: Mapping[str, Any], path: Path) -> HintRule:
    rule = f"hint.{code}"
    _only(table, {"severity", "weight", "message", "suggestion"}, path, rule)
    severity = _value(table, "severity", str, path, rule)
    if severity not in ("info", "warning"):
        _fail(path, rule, f"severity {severity!r} is neither 'info' nor 'warning'")
    weight = _value(table, "weight", int, path, rule)
    if not 0 <= weight <= 100:
        _fail(path, rule, "weight must be between 0 and 100")
    return HintRule(
        code=code,
        severity=severity,
        weight=weight,
        message=_bilingual(_table(table, "message", path, rule), path, f"{rule}.message"),
        suggestion=_bilingual(_table(table, "suggestion", path, rule), path, f"{rule}.suggestion"),
    )


def _language_rules(data: Mapping[str, Any], path: Path) -> LanguageRules:
    _only(
        data,
        {"language", "detect", "examples", "honorific", "address", "text", "expect", "flag"},
        path,
        "top level",
    )
    code = _value(data, "language", str, path, "language")
    if path.name != f"coach.{code}.toml":
        _fail(path, "language", f"says {code!r} but the file name says otherwise")
    detect = _table(data, "detect", path, "detect")
    _only(detect, {"words"}, path, "detect")
    examples = _table(data, "examples", path, "examples")
    _only(examples, set(EXAMPLES), path, "examples")
    for key in EXAMPLES:
        example = _value(examples, key, str, path, "examples")
        fields = {name for _, name, _, _ in string.Formatter().parse(example) if name}
        if fields - {"address"}:
            _fail(path, f"examples.{key}", "may only use the placeholder {address}")
    return LanguageRules(
        code=code,
        words=frozenset(word.lower() for word in _strings(detect, "words", path, "detect")),
        examples=examples,
    )


def _honorific(entry: Mapping[str, Any], language: str, path: Path, index: int) -> Honorific:
    rule = f"honorific {index + 1}"
    _only(entry, {"title", "written", "contact"}, path, rule)
    written = _strings(entry, "written", path, rule)
    if not written:
        _fail(path, rule, "'written' is empty")
    return Honorific(
        language=language,
        title=_value(entry, "title", str, path, rule),
        written=frozenset(_normalise(word) for word in written),
        contact=frozenset(_normalise(word) for word in _strings(entry, "contact", path, rule)),
    )


def _matcher(table: Mapping[str, Any], path: Path, rule: str) -> Matcher:
    _only(table, {"phrases", "patterns", "unless"}, path, rule)
    phrases = _strings(table, "phrases", path, rule)
    for phrase in phrases:
        if not re.search(r"[^\W_]", phrase):
            _fail(path, rule, f"phrase {phrase!r} has no letter or digit")
    regexes = [_compile(_phrases_pattern(phrases), path, rule)] if phrases else []
    regexes += [
        _compile(pattern, path, rule) for pattern in _strings(table, "patterns", path, rule)
    ]
    unless = _strings(table, "unless", path, rule)
    cancel = [_compile(_phrases_pattern(unless), path, f"{rule}.unless")] if unless else []
    return Matcher(tuple(regexes), tuple(cancel))


def _compile(pattern: str, path: Path, rule: str, *, flags: int = _FLAGS) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as error:
        _fail(path, rule, f"pattern {pattern!r} does not compile: {error}")


def _phrases_pattern(phrases: Iterable[str]) -> str:
    """Return one regular expression finding any of `phrases`, the longest where they overlap."""
    # One scan for the whole list is several times faster than one per phrase.
    ordered = sorted(phrases, key=len, reverse=True)
    alternatives = "|".join(_phrase_pattern(phrase) for phrase in ordered)
    # (?=\w) turns away the many positions where no phrase can start before trying each one.
    return rf"(?<!\w)(?=\w)(?:{alternatives})(?!\w)"


def _phrase_pattern(phrase: str) -> str:
    """Return the regular expression of one phrase; the caller adds the word boundaries.

    Letters may repeat ("maaaf"), anything that is not a letter or digit may be written any
    way or left out ("terima-kasih", "terimakasih"), and a word ending in * takes any ending.
    """
    words = []
    for word in re.sub(r"^[\W_]+", "", phrase).split():
        pieces = []
        # A run of one letter becomes one quantifier ("aa" -> "a{2,}", not "a+a+"), which keeps
        # matching linear on long runs of that letter.
        for char, run in itertools.groupby(word.rstrip("*")):
            count = len(list(run))
            if char.isalpha():
                pieces.append(f"{re.escape(char)}{{{count},}}")
            elif char.isdigit():
                pieces.append(char * count)
            else:
                pieces.append(r"[\W_]*")
        if word.endswith("*"):
            pieces.append(r"\w*")
        words.append("".join(pieces))
    return r"[\W_]*".join(words)


# --- Coaching ------------------------------------------------------------------------------


def coach_reply(
    text: str,
    *,
    language: str,
    honorific: str,
    preferred_name: str,
    full_name: str = "",
    fault: str = "",
    previous_replies: Sequence[str] = (),
    rules: Rules | None = None,
) -> CoachReport:
    """Return advice on the draft reply `text` to a customer.

    `language` is the reply's language ("id", "en") or "auto" to guess it from the text; it
    picks the example wording of the suggestions. `fault` is the ticket's fault assessment:
    an apology is expected only when it is "ours"; when it is "customer" the reply should
    explain the agreed rule; unless it is "ours" or not assessed (""), admitting liability is
    a warning. `previous_replies` are our earlier replies in the same conversation.
    """
    rules = rules or load_rules()
    if fault not in FAULTS:
        raise ValueError(f"fault must be one of {sorted(FAULTS)}, not {fault!r}")
    if language == "auto":
        language = guess_language(text, rules=rules)
    elif language not in rules.languages:
        raise ValueError(f"language must be 'auto' or one of {sorted(rules.languages)}")

    own = own_text(text, rules=rules)
    names = _name_candidates(preferred_name, full_name, rules)
    hints: dict[str, tuple[Span, ...]] = {}
    found: dict[str, tuple[Span, ...]] = {}

    def expect(what: str, searched: str, missing: str | None = None) -> list[Span]:
        spans = rules.expect[what].spans(searched)
        if spans:
            found[what] = tuple(spans)
        elif missing:
            hints[missing] = ()
        return spans

    expect("greeting", _opening(own), "greeting_missing")
    _address_check(own, names, honorific, rules, hints, found)
    expect("thanks", own, "thanks_missing")
    expect("apology", own, "apology_missing" if fault == "ours" else None)
    expect("sop_reference", own, "sop_missing" if fault == "customer" else None)
    concrete = expect("concrete_time", own)

    for code, matcher in rules.flags.items():
        spans = matcher.spans(own)
        if code == "vague_promise":
            spans = [span for span in spans if not _overlaps(_sentence(own, span), concrete)]
        if code == "liability_admitted" and fault not in NOT_OUR_FAULT:
            spans = []
        if spans:
            hints[code] = tuple(spans)

    shouting = _shouting(own, names, rules)
    if shouting:
        hints["all_caps"] = tuple(shouting)
    if _repeats(own, previous_replies, rules):
        hints["repeated_reply"] = ()

    address = _address(language, honorific, preferred_name, full_name, rules)
    return _report(language, hints, found, address, rules)


def own_text(text: str, *, rules: Rules | None = None) -> str:
    """Return `text` with quoted messages and the signature blanked out; offsets are unchanged."""
    rules = rules or load_rules()
    hidden: list[Span] = []
    end = len(text)
    header = rules.quote_header.spans(text)
    if header:
        end = text.rfind("\n", 0, header[0][0]) + 1
        hidden.append((end, len(text)))
    lines = []
    for match in _LINE.finditer(text, 0, end):
        if match.group().lstrip().startswith(">"):
            hidden.append(match.span())
        elif match.group().strip():
            lines.append(match.span())
    signature = _signature_start(text, lines, rules)
    if signature is not None:
        hidden.append((signature, end))
    return _blank(text, hidden)


def guess_language(text: str, *, rules: Rules | None = None) -> str:
    """Return the language whose common words `text` uses most; Indonesian wins a tie."""
    rules = rules or load_rules()
    words = [word.lower() for word in _WORD.findall(text)]
    counts = {
        code: sum(word in language.words for word in words)
        for code, language in rules.languages.items()
    }
    preferred = sorted(counts, key=lambda code: (-counts[code], code != DEFAULT_LANGUAGE, code))
    return preferred[0]


def _signature_start(text: str, lines: Sequence[Span], rules: Rules) -> int | None:
    for index in range(len(lines) - 1, max(-1, len(lines) - MAX_SIGNATURE_LINES - 2), -1):
        start, end = lines[index]
        line = text[start:end]
        # "-- " is the signature delimiter of RFC 3676.
        if line.rstrip() == "--":
            return start
        if _is_sign_off(line, rules):
            after = lines[index + 1 :]
            if after and all(_signature_like(text[a:b]) for a, b in after):
                return after[0][0]
            return None
    return None


def _is_sign_off(line: str, rules: Rules) -> bool:
    spans = rules.sign_off.spans(line)
    rest = "".join(line[a:b] for a, b in _gaps(spans, len(line)))
    return bool(spans) and not re.search(r"[^\W_]", rest)


def _signature_like(line: str) -> bool:
    words = line.split()
    return len(words) <= MAX_SIGNATURE_SENTENCE_WORDS or not line.rstrip().endswith((".", "!", "?"))


def _opening(own: str) -> str:
    """Return `own` with everything after its first few non-blank lines blanked out."""
    seen = 0
    for match in _LINE.finditer(own):
        if match.group().strip():
            seen += 1
            if seen == OPENING_LINES:
                return _blank(own, [(match.end(), len(own))])
    return own


def _normalise(word: str) -> str:
    return word.strip().rstrip(".").lower()


def _name_candidates(preferred_name: str, full_name: str, rules: Rules) -> list[str]:
    honorific_words = {word for honorific in rules.honorifics for word in honorific.written}
    # Academic titles and initials ("Ir.", "S.T.", "H.") are not names to look for.
    parts = [
        part
        for part in re.split(r"[\s,]+", full_name)
        if len("".join(_WORD.findall(part))) >= 3 and _normalise(part) not in honorific_words
    ]
    names = [name.strip() for name in (preferred_name, full_name, *parts) if name.strip()]
    return sorted(set(names), key=len, reverse=True)


def _address_check(
    own: str,
    names: Sequence[str],
    honorific: str,
    rules: Rules,
    hints: dict[str, tuple[Span, ...]],
    found: dict[str, tuple[Span, ...]],
) -> None:
    """Check that the customer is addressed by name with the honorific on record."""
    accepted, known = _accepted_words(honorific, rules)
    name_spans: list[Span] = []
    if names:
        name_regex = re.compile(_phrases_pattern(names), _FLAGS)
        name_spans = [match.span() for match in name_regex.finditer(own)]
    if not name_spans:
        # "Terima kasih, Pak." still uses the honorific.
        standalone = [match.span() for match in _words_regex(accepted).finditer(own)]
        if standalone:
            found["honorific"] = tuple(standalone)
        if names:
            hints["name_missing"] = ()
        elif honorific.strip() and not standalone:
            hints["honorific_missing"] = ()
        return
    found["name"] = tuple(name_spans)

    before = re.compile(rf"(?<!\w)({_alternation(known)})\.?\s{{0,3}}$", re.IGNORECASE)
    addressed, wrong, bare = [], [], []
    for start, end in name_spans:
        match = before.search(own, max(0, start - 30), start)
        if match and match.group(1).lower() in accepted | rules.address_words:
            addressed.append((match.start(), end))
        elif match:
            wrong.append(match.span(1))
        else:
            bare.append((start, end))
    if addressed:
        found["honorific"] = tuple(addressed)
    if wrong:
        hints["honorific_mismatch"] = tuple(wrong)
    elif not addressed:
        hints["honorific_missing"] = tuple(bare)


def _accepted_words(honorific: str, rules: Rules) -> tuple[set[str], set[str]]:
    """Return the words that address this customer correctly, and every honorific word known."""
    known = {word for entry in rules.honorifics for word in entry.written} | rules.address_words
    key = _normalise(honorific)
    meant = [entry for entry in rules.honorifics if key in entry.contact]
    if not key or not meant:
        # Without a known preference any honorific will do.
        accepted = {word for entry in rules.honorifics for word in entry.written}
        if key:
            accepted.add(key)
            known.add(key)
        return accepted, known
    return {word for entry in meant for word in entry.written} | {key}, known | {key}


def _words_regex(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{_alternation(words)})(?!\w)", re.IGNORECASE)


def _alternation(words: Iterable[str]) -> str:
    alternatives = "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
    # No words must match nothing, not the empty string everywhere.
    return alternatives or "(?!)"


def _address(
    language: str, honorific: str, preferred_name: str, full_name: str, rules: Rules
) -> str:
    """Return how a reply in `language` should address the customer: "Bapak Budi", "Mr Budi"."""
    key = _normalise(honorific)
    meant = [entry for entry in rules.honorifics if key and key in entry.contact]
    if meant:
        # Kak, Mas and Mbak have no English counterpart: the name alone is polite there.
        title = next((entry.title for entry in meant if entry.language == language), "")
    else:
        title = honorific.strip()
    name = preferred_name.strip() or next(iter(full_name.split()), "")
    return " ".join(part for part in (title, name) if part)


def _sentence(text: str, span: Span) -> Span:
    """Return the bounds of the sentence around `span`."""
    start = 0
    for boundary in _SENTENCE_END.finditer(text):
        if boundary.start() >= span[1]:
            return start, boundary.start()
        if boundary.end() <= span[0]:
            start = boundary.end()
    return start, len(text)


def _overlaps(span: Span, others: Iterable[Span]) -> bool:
    return any(start < span[1] and end > span[0] for start, end in others)


def _shouting(own: str, names: Sequence[str], rules: Rules) -> list[Span]:
    """Return runs of capitalised words long enough to read as shouting."""
    text = _blank(own, rules.ticket_reference.spans(own))
    text = _blank(text, [match.span() for match in _NOT_TEXT.finditer(text)])
    neutral = {part.lower() for name in names for part in _WORD.findall(name)}
    neutral |= {word for entry in rules.honorifics for word in entry.written}
    runs: list[Span] = []
    run: list[Span] = []
    letters = 0

    def close() -> None:
        if letters >= rules.caps_min_letters:
            runs.append((run[0][0], run[-1][1]))

    for match in _WORD.finditer(text):
        word, (start, end) = match.group(), match.span()
        if not word.isupper():
            close()
            run, letters = [], 0
            continue
        touches_digit = text[start - 1 : start].isdigit() or text[end : end + 1].isdigit()
        if len(word) <= 3 or touches_digit or word in rules.acronyms or word.lower() in neutral:
            continue
        run.append((start, end))
        letters += len(word)
    close()
    return runs


def _repeats(own: str, previous_replies: Sequence[str], rules: Rules) -> bool:
    if len(" ".join(_comparable(own))) < rules.repeat_min_length:
        return False
    draft = _comparable(own)[:REPEAT_WORDS]
    for previous in previous_replies:
        earlier = _comparable(own_text(previous, rules=rules))[:REPEAT_WORDS]
        matcher = difflib.SequenceMatcher(None, draft, earlier, autojunk=False)
        if matcher.quick_ratio() >= rules.repeat_similarity and (
            matcher.ratio() >= rules.repeat_similarity
        ):
            return True
    return False


def _comparable(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


def _report(
    language: str,
    hints: Mapping[str, tuple[Span, ...]],
    found: Mapping[str, tuple[Span, ...]],
    address: str,
    rules: Rules,
) -> CoachReport:
    examples = rules.languages[language].examples
    address = address or examples["address"]
    context = {key: examples[key].format(address=address) for key in EXAMPLES}
    context["address"] = address
    order = list(rules.hints)
    codes = sorted(
        hints, key=lambda code: (rules.hints[code].severity != "warning", order.index(code))
    )
    built = tuple(
        Hint(
            code=code,
            severity=rules.hints[code].severity,
            message={
                ui: text.format_map(context) for ui, text in rules.hints[code].message.items()
            },
            suggestion={
                ui: text.format_map(context) for ui, text in rules.hints[code].suggestion.items()
            },
            spans=hints[code],
        )
        for code in codes
    )
    findings = tuple(
        Finding(code=code, label=rules.labels[code], spans=found[code])
        for code in FOUND
        if code in found
    )
    score = max(0, 100 - sum(rules.hints[code].weight for code in hints))
    return CoachReport(language=language, score=score, hints=built, found=findings)


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _gaps(spans: Sequence[Span], length: int) -> list[Span]:
    gaps, position = [], 0
    for start, end in spans:
        gaps.append((position, start))
        position = end
    gaps.append((position, length))
    return gaps


def _blank(text: str, spans: Iterable[Span]) -> str:
    """Return `text` with the characters of `spans` turned into spaces, line breaks kept."""
    pieces, position = [], 0
    for start, end in _merge(spans):
        if start < position:
            start = position
        pieces.append(text[position:start])
        pieces.append(re.sub(r"[^\n]", " ", text[start:end]))
        position = max(position, end)
    pieces.append(text[position:])
    return "".join(pieces)
