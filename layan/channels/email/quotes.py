"""Split a reply into what the author just wrote, their signature, and the quoted history.

For display only: the caller shows `new`, folds `signature` and `quoted`, and never throws
anything away (the raw message is kept). When in doubt the text stays in `new`, because
hiding a customer's words is worse than showing an old quote.

The plain-text splitter reads the body line by line:

* a quote header ("On ... wrote:", "Pada ... menulis:", "Am ... schrieb:", Gmail's
  "2016-03-03 17:21 GMT+01:00 Name <a@b>") followed only by quotes, a signature or an
  unquoted copy of the old message starts the history; followed by a quote and then more
  text of the author's own, it is an interleaved reply and stays;
* a separator ("-----Original Message-----", "-----Pesan Asli-----", "Begin forwarded
  message:") or an Outlook field block ("From:/Sent:/To:/Subject:", "Dari:/Dikirim:/
  Kepada:/Perihal:") always starts the history;
* history at the very top (bottom-posting, a forward with nothing added) is skipped so the
  text below it becomes `new`; a `>` quote at the end is history, one in the middle is
  context for an inline answer and stays;
* the signature is what follows "-- " (or another rule line), a "Sent from my iPhone" line,
  a closing such as "Salam,", "Hormat kami," or "Terima kasih," followed by a name, or a
  trailing name-and-contact block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["ReplyParts", "split_reply", "split_reply_html"]


@dataclass(frozen=True, slots=True)
class ReplyParts:
    new: str
    signature: str = ""
    quoted: str = ""


_MAX_LINES = 5000
_MAX_HEADER_CHARS = 350

_WROTE = (
    r"wrote|writes|said|schrieb|schreef|geschreven|a écrit|écrit|escribió|escreveu|ha scritto"
    r"|scrisse|napisał\(a\)|napisała|napisał|napsal\(a\)|napsal|написал\(а\)|написала|написал"
    r"|пише|пишет|skrev|kirjoitti|írta|menulis|yazdı|έγραψε|写道|寫道"
)
_INTRO = r"(?:on|le|am|el|em|il|op|den|pada|dnia|w dniu|at|på|dana|在)\b"
# "... wrote:" with at most a short tail ("schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:").
_HEADER_VERB = re.compile(
    rf"(?:^|[\s>\"'])(?:{_WROTE})(?:\s.{{0,80}}?)?\s*(?:[:：]|-{{2,}})\s*$", re.I
)
_HEADER_VERB_LAST = re.compile(rf"^\s*{_INTRO}.*\s(?:{_WROTE})\s*$", re.I)
_HEADER_DATE_FIRST = re.compile(
    r"^\s*(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2,4},?\s+\d{1,2}[:.]\d{2})"
    r".{0,200}(?:@|\bGMT\b)"
)
_HEADER_TIME_ADDRESS = re.compile(r"\d{1,2}:\d{2}.{0,200}@[^\s]+?>?\s*:\s*$")
_HEADER_START = re.compile(rf"^\s*(?:{_INTRO}|\d|.*[<@])", re.I)
_INTRO_START = re.compile(rf"^\s*{_INTRO}", re.I)
_DIGIT_OR_AT = re.compile(r"[\d@]")
# A real quote header names an address or a date with a year; prose rarely does both.
_HAS_EVIDENCE = re.compile(r"@|\b(?:19|20)\d\d\b|\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b")

_SEPARATOR = re.compile(
    r"^\s*[*_>]*\s*-{2,}\s*(?:original message|reply message|pesan asli|forwarded message"
    r"|pesan yang diteruskan|pesan terusan|ursprüngliche nachricht|weitergeleitete nachricht"
    r"|mensaje original|mensaje reenviado|message d'origine|message transféré"
    r"|messaggio originale|messaggio inoltrato|oorspronkelijk bericht|doorgestuurd bericht"
    r"|originalmeddelande|alkuperäinen viesti|oryginalna wiadomość|исходное сообщение"
    r"|пересылаемое сообщение|mensagem original|mensagem encaminhada)\s*-*\s*[*_]*\s*$"
    r"|^\s*(?:begin forwarded message|mulai pesan yang diteruskan|start of forwarded message"
    r"|anfang der weitergeleiteten nachricht|début du message réexpédié)\s*:?\s*$",
    re.I,
)
_FIELD_NAMES = (
    "from|dari|von|de|van|da|från|fra|od|от|lähettäjä|feladó|kimden|sender"
    "|sent|date|dikirim|tanggal|terkirim|waktu|gesendet|datum|envoyé|enviado|enviada|inviato"
    "|data|verzonden|skickat|sendt|wysłano|отправлено|fecha|lähetetty|elküldve|tarih"
    "|to|kepada|untuk|an|à|para|a|aan|till|til|do|кому|cc|bcc|reply-to|risposta|antwort an"
    "|subject|perihal|subjek|hal|betreff|objet|asunto|assunto|oggetto|onderwerp|ämne|emne"
    "|temat|тема|aihe|tárgy|konu"
)
_FIELD = re.compile(rf"^\s*[*>]?\s*[*_]*(?:{_FIELD_NAMES})[*_]*\s*:", re.I)
_FROM_FIELD = re.compile(
    r"^\s*[*>]?\s*[*_]*(?:from|dari|von|de|van|da|från|fra|od|от|lähettäjä|feladó|kimden)"
    r"[*_]*\s*:",
    re.I,
)
_RULE = re.compile(r"^\s*(?:--|-- |[-_*#~=+—–]{3,}|ᐧ)\s*$")
_QUOTE = re.compile(r"^\s*(?:>|[A-Za-z]{1,10}>(?:\s|$))")
_MOBILE = re.compile(
    r"^\W*(?:sent (?:from|via|with|by|using|on|through)\b|sended from|envoyé (?:de|depuis|avec)"
    r"|enviado (?:desde|do|de|con|com)|inviato (?:da|con)|verzonden (?:met|vanaf|van)"
    r"|verstuurd (?:vanaf|met|van)|von meinem|gesendet (?:von|mit)"
    r"|dikirim (?:dari|melalui|via|menggunakan|dengan)|terkirim dari|sendt fra|skickat från"
    r"|lähetetty|wysłane z|отправлено с|get \[?outlook for|diese nachricht wurde von meinem"
    r"|(?:\w+ )?(?:from|via) (?:my )?(?:iphone|ipad|ipod|android|mobile|phone|smartphone|samsung"
    r"|galaxy|blackberry|tablet|huawei|xiaomi|device|cell)\b"
    r"|從我的|从我的|发自我的|寄自我的|.{0,20}iphoneから送信)",
    re.I,
)
_CLOSING = re.compile(
    r"^\W*(?:salam|wassalam|hormat (?:kami|saya)|salam hangat|terima ?kasih|makasih|trims"
    r"|thanks|thank you|thx|many thanks|regards|best regards|kind regards|warm regards"
    r"|best wishes|best|cheers|sincerely|yours (?:truly|sincerely|faithfully)|respectfully"
    r"|mit freundlichen grüßen|viele grüße|grüße|gruß|cordialement|bien à vous|saludos"
    r"|atentamente|atenciosamente|cumprimentos|met vriendelijke groet|groeten"
    r"|med vänlig hälsning|hälsningar|pozdrawiam|с уважением|distinti saluti"
    r"|cordiali saluti)\b[^\n?]{0,30}$",
    re.I,
)
_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.-]+|https?://|www\.|\+?\d[\d\s().-]{6,}\d|\b(?:tel|telp|hp|wa|fax"
    r"|phone|mobile)\b\s*[:.]",
    re.I,
)
_NAME = re.compile(r"^[^\W\d_][\w'.,-]*(?:\s+[^\W\d_][\w'.,-]*){0,4}$")
_MAX_SIGNATURE_LINES = 25
_MIN_MESSAGE_CHARS = 20  # a closing under less than this is the message, not a signature


def _normalise(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


class _Lines:
    """A body's lines, each tagged t(ext), e(mpty), q(uote), d (rule) or m (phone sign-off),
    with the quote headers and separators found among them (first line -> line after)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.kind: list[str] = []
        fenced = False
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("```"):
                fenced = not fenced
                self.kind.append("t")
            elif fenced:
                self.kind.append("t")
            elif not stripped:
                self.kind.append("e")
            elif _QUOTE.match(line):
                self.kind.append("q")
            elif _RULE.match(line):
                self.kind.append("d")
            elif _MOBILE.match(stripped) and len(stripped) <= 120:
                self.kind.append("m")
            else:
                self.kind.append("t")
        self.headers: dict[int, int] = {}
        self.separators: dict[int, int] = {}
        index = 0
        while index < len(lines):
            if end := self._separator_end(index):
                self.separators[index] = end
            elif end := self._header_end(index):
                self.headers[index] = end
            index = max(end, index + 1)

    def _header_end(self, start: int) -> int:
        if self.kind[start] not in "tm":
            return 0
        first = self.lines[start]
        windows = 5 if _INTRO_START.match(first) else 3
        # Every header form names a date, a time or an address.
        if not any(_DIGIT_OR_AT.search(line) for line in self.lines[start : start + windows]):
            return 0
        joined = ""
        for end in range(start + 1, min(start + windows, len(self.lines)) + 1):
            if end > start + 1 and self.kind[end - 1] == "t" and _FIELD.match(self.lines[end - 1]):
                return 0
            joined = f"{joined} {self.lines[end - 1].strip()}".strip()
            if len(joined) > _MAX_HEADER_CHARS:
                return 0
            if end > start + 1 and not _HEADER_START.match(first):
                return 0
            if _is_header(joined):
                return end
        return 0

    def _separator_end(self, start: int) -> int:
        line = self.lines[start]
        if self.kind[start] != "t":
            return 0
        if _SEPARATOR.match(line):
            return max(self._fields_end(start + 1), start + 1)
        if _FIELD.match(line):
            end = self._fields_end(start)
            fields = [item for item in self.lines[start:end] if _FIELD.match(item)]
            if len(fields) >= 3 and any(_FROM_FIELD.match(item) for item in fields):
                return end
        return 0

    def _fields_end(self, start: int) -> int:
        """Return the line after a block of header fields; a wrapped value may continue."""
        index = start + (start < len(self.lines) and self.kind[start] == "e")
        end = start
        misses = 0
        while index < len(self.lines) and self.lines[index].strip() and misses < 2:
            if _FIELD.match(self.lines[index]):
                misses, end = 0, index + 1
            else:
                misses += 1
                if self.lines[index][:1].isspace() and misses == 1:
                    end = index + 1
            index += 1
        return end

    def history_start(self, index: int) -> int:
        """Return where the history that begins at `index` really starts (rule lines above)."""
        while index > 0 and self.kind[index - 1] in "ed":
            index -= 1
        while index < len(self.lines) and self.kind[index] == "e":
            index += 1
        return index

    def skip(self, index: int, kinds: str) -> int:
        while index < len(self.lines) and self.kind[index] in kinds:
            index += 1
        return index

    def own_text_after(self, index: int) -> bool:
        """Say whether the author writes more of their own after `index`."""
        while index < len(self.lines):
            if index in self.headers or index in self.separators or self.kind[index] == "d":
                return False
            if self.kind[index] == "t":
                return True
            index += 1
        return False


def _is_header(joined: str) -> bool:
    if _HAS_EVIDENCE.search(joined) and (
        _HEADER_VERB.search(joined) or _HEADER_VERB_LAST.match(joined)
    ):
        return True
    return bool(_HEADER_DATE_FIRST.match(joined) or _HEADER_TIME_ADDRESS.search(joined))


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n")


def split_reply(text: str) -> ReplyParts:
    """Return the new text of a plain-text reply, its signature and the quoted history."""
    lines = _normalise(text)
    if len(lines) > _MAX_LINES:
        head = split_reply("\n".join(lines[:_MAX_LINES]))
        return ReplyParts(head.new, head.signature, _join([head.quoted, *lines[_MAX_LINES:]]))
    body = _Lines(lines)
    first = body.skip(0, "e")
    start = first
    # History above the author's text: bottom-posting, or a forward with nothing added.
    while start in body.headers or start in body.separators:
        if start in body.headers:
            start = body.skip(body.skip(body.headers[start], "e"), "qe")
        else:
            start = body.skip(body.separators[start], "e")
    if start >= len(lines) or "t" not in body.kind[start:]:
        return ReplyParts(new=text.strip("\n"))
    cut = len(lines)
    index = start
    while index < len(lines):
        if index in body.separators:
            cut = body.history_start(index)
            break
        if index in body.headers:
            after_quote = body.skip(body.skip(body.headers[index], "e"), "qe")
            if after_quote > body.skip(body.headers[index], "e") and body.own_text_after(
                after_quote
            ):
                index = after_quote
                continue
            cut = body.history_start(index)
            break
        index += 1
    end = _trailing_quote_start(body, start, cut)
    signature_start = _signature_start(body, start, end)
    new_end = _trailing_quote_start(body, start, signature_start)
    new = _join(lines[start:new_end])
    if not new.strip():
        return ReplyParts(new=text.strip("\n"))
    return ReplyParts(
        new=new,
        signature=_join(lines[signature_start:end]),
        quoted=_join([*lines[first:start], *lines[new_end:signature_start], *lines[end:]]),
    )


def _trailing_quote_start(body: _Lines, start: int, end: int) -> int:
    """Return where a quote block ending the text at `end` starts (`end` if there is none)."""
    index = end
    while index > start and body.kind[index - 1] in "qe":
        index -= 1
    if "q" not in body.kind[index:end] or "t" not in body.kind[start:index]:
        return end
    return body.skip(index, "e")


def _signature_start(body: _Lines, start: int, end: int) -> int:
    """Return the first line of the signature that ends the author's text (`end` if none)."""
    content = [index for index in range(start, end) if body.kind[index] != "e"]
    if len(content) < 2:
        return end
    for find in (_after_rule, _phone_sign_off, _closing, _contact_block):
        found = find(body, start, content)
        if found is not None:
            return found
    return end


def _after_rule(body: _Lines, start: int, content: list[int]) -> int | None:
    """A "-- " line, or a rule under a blank line, followed by a short block."""
    for index in content[1:]:
        # A long rule right under a line of text underlines a heading or a table header.
        underline = body.lines[index].strip() != "--" and body.kind[index - 1] != "e"
        remaining = len(content) - content.index(index) - 1
        if body.kind[index] == "d" and not underline and remaining <= _MAX_SIGNATURE_LINES:
            return index
    return None


def _phone_sign_off(body: _Lines, start: int, content: list[int]) -> int | None:
    """Trailing "Sent from my iPhone" lines, with a name written just above them."""
    first = None
    for index in reversed(content):
        if body.kind[index] != "m":
            break
        first = index
    if first is None or first == content[0]:
        return None
    above = first - 1
    if body.kind[above] == "t" and above > content[0] and _NAME.match(body.lines[above].strip()):
        return above
    return first


def _closing(body: _Lines, start: int, content: list[int]) -> int | None:
    """A closing ("Salam,", "Terima kasih,") followed by a few short lines such as a name."""
    lines = body.lines
    tail = content[-7:]
    for position, index in enumerate(tail):
        rest = tail[position + 1 :]
        if (
            index > content[0]
            and rest
            and _CLOSING.match(lines[index].strip())
            and len(lines[index].strip()) <= 40
            and all(len(lines[i].strip()) <= 60 and body.kind[i] == "t" for i in rest)
            and not any(lines[i].rstrip().endswith("?") for i in rest)
            and len("".join(lines[start:index]).replace(" ", "")) >= _MIN_MESSAGE_CHARS
        ):
            return index
    return None


def _contact_block(body: _Lines, start: int, content: list[int]) -> int | None:
    """A last paragraph made of a name and contact lines (mail, phone, web address)."""
    block_start = content[-1]
    while block_start > start and body.kind[block_start - 1] != "e":
        block_start -= 1
    block = [body.lines[i].strip() for i in range(block_start, content[-1] + 1)]
    if (
        block_start > content[0]
        and 2 <= len(block) <= 8
        and all(len(line) <= 50 and "?" not in line for line in block)
        and _NAME.match(block[0])
        and any(_CONTACT.search(line) for line in block[1:])
    ):
        return block_start
    return None


# Elements that mail clients wrap around the quoted message in HTML replies.
_QUOTE_CLASSES = re.compile(
    r"\b(?:gmail_quote|gmail_extra|yahoo_quoted|moz-cite-prefix|protonmail_quote|zmail_extra"
    r"|OutlookMessageHeader|ms-outlook-mobile-reference-message|divRplyFwdMsg)\b",
    re.I,
)
_QUOTE_IDS = re.compile(
    r"^(?:divRplyFwdMsg|appendonsend|OLK_SRC_BODY_SECTION|yahoo_quoted_\w*|stopSpelling"
    r"|isForwardContent|mail-editor-reference-message-container)$",
    re.I,
)
_OUTLOOK_BORDER = re.compile(r"border-top:\s*solid\s+#(?:E1E1E1|B5C4DF)", re.I)
_BLOCK_TAGS = {
    "p", "div", "blockquote", "table", "tr", "td", "li", "ul", "ol", "h1", "h2", "h3", "h4",
    "h5", "h6", "pre", "section", "article", "hr", "br", "body",
}  # fmt: skip


class _QuoteFinder(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.starts = [0]
        for match in re.finditer("\n", html):
            self.starts.append(match.end())
        self.cut: int | None = None
        self.line_start = 0
        self.line_text: list[str] = []
        self.rule_at: int | None = None
        self.fields_at: int | None = None
        self.fields = 0
        self.fields_from = False
        self.seen_text = False

    def position(self) -> int:
        line, column = self.getpos()
        return self.starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cut is not None:
            return
        values = dict(attrs)
        marked = (
            (tag == "blockquote" and (values.get("type") or "").lower() == "cite")
            or _QUOTE_CLASSES.search(values.get("class") or "")
            or _QUOTE_IDS.match(values.get("id") or "")
            or (tag == "div" and _OUTLOOK_BORDER.search(values.get("style") or ""))
        )
        if marked and self.seen_text:
            self.cut = self.position()
            return
        if tag in _BLOCK_TAGS:
            self.check_line()
            self.line_start = self.position()
            self.line_text = []
            if tag == "hr":
                self.rule_at = self.position()

    def handle_endtag(self, tag: str) -> None:
        if self.cut is None and tag in _BLOCK_TAGS:
            self.check_line()
            self.line_text = []

    def handle_data(self, data: str) -> None:
        if self.cut is None:
            self.line_text.append(data)

    def check_line(self) -> None:
        text = " ".join("".join(self.line_text).split())
        if not text:
            return
        if self.seen_text and (_is_header(text) or _SEPARATOR.match(text)):
            self.cut = self.line_start
            return
        if self.seen_text and _FIELD.match(text):
            if self.fields_at is None:
                self.fields_at = self.line_start if self.rule_at is None else self.rule_at
                self.fields, self.fields_from = 0, False
            self.fields += 1
            self.fields_from = self.fields_from or bool(_FROM_FIELD.match(text))
            if self.fields >= 3 and self.fields_from:
                self.cut = self.fields_at
            return
        self.seen_text = True
        self.rule_at = self.fields_at = None


def split_reply_html(html: str) -> tuple[str, str]:
    """Return (new, quoted) halves of an HTML reply, cut where the quoted message begins.

    The halves are not balanced markup; sanitising (`layan.core.html.sanitize_html`) closes
    and drops stray tags, and is required before display anyway.
    """
    finder = _QuoteFinder(html)
    finder.feed(html)
    finder.close()
    if finder.cut is None:
        return html, ""
    return html[: finder.cut], html[finder.cut :]
