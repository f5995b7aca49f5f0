"""Make untrusted HTML (mostly e-mail bodies) safe to display, or turn it into plain text.

`sanitize_html` runs in two passes: nh3 (ammonia) removes everything not on the allow list,
then the sanitised markup, which nh3 serialises with every attribute value double-quoted and
escaped, is scanned for `<img>` tags to block remote images and map `cid:` references. The
second pass never sees unsanitised input, so a plain regular expression is enough for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape, unescape
from html.parser import HTMLParser
from urllib.parse import unquote

import nh3

__all__ = ["html_to_text", "sanitize_html"]

_TAGS = {
    "a", "abbr", "b", "big", "blockquote", "br", "caption", "center", "cite", "code", "col",
    "colgroup", "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span",
    "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt",
    "u", "ul",
}  # fmt: skip
_CELL = {"align", "valign", "colspan", "rowspan", "width", "height", "bgcolor"}
_ATTRIBUTES = {
    "*": {"style", "title", "dir", "lang", "align"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "font": {"color", "face", "size"},
    "ol": {"start", "type"},
    "table": {"width", "border", "cellpadding", "cellspacing", "bgcolor"},
    "td": _CELL,
    "th": _CELL,
    "tr": {"valign", "bgcolor"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
}
# No property that can take url() (background, list-style-image, border-image, content) and
# none that can lift content out of the message area (position, z-index).
_STYLE_PROPERTIES = {
    "color", "background-color", "font", "font-family", "font-size", "font-style",
    "font-weight", "text-align", "text-decoration", "text-indent", "text-transform",
    "vertical-align", "white-space", "line-height", "letter-spacing", "word-break",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
    "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border", "border-top", "border-right", "border-bottom", "border-left", "border-color",
    "border-style", "border-width", "border-collapse", "border-spacing", "border-radius",
    "width", "height", "max-width", "min-width", "list-style-type", "direction",
}  # fmt: skip
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}
# Values that fetch or run something even inside an allowed property; backslash escapes are
# dropped because they can spell any of these.
_STYLE_VALUE_DENIED = ("url(", "expression(", "javascript:", "@import", "\\", "-moz-binding")


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    if name != "style":
        return value
    kept = [
        declaration.strip()
        for declaration in value.split(";")
        if declaration.strip()
        and not any(bad in "".join(declaration.split()).lower() for bad in _STYLE_VALUE_DENIED)
    ]
    return "; ".join(kept) or None


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style", "title", "head", "template", "noscript", "textarea"},
    attributes=_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    strip_comments=True,
    link_rel="noopener noreferrer nofollow",
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_schemes=_URL_SCHEMES,
    filter_style_properties=_STYLE_PROPERTIES,
    url_relative="deny",
)

# Valid only on nh3 output, where each attribute value is double-quoted and `"` is escaped.
_IMG = re.compile(r'<img((?:\s+[^\s=>"/]+(?:="[^"]*")?)*)\s*/?>')
_ATTR = re.compile(r'([^\s=>"/]+)(?:="([^"]*)")?')


def sanitize_html(
    html: str,
    *,
    cid_url: Callable[[str], str | None] | None = None,
    load_remote_images: bool = False,
) -> str:
    """Return `html` reduced to harmless formatting, safe to insert into a page.

    Remote images keep their address in `data-remote-src` and lose `src`, so nothing is fetched
    (and no read receipt fires) until the UI swaps the attribute back on request. `cid_url`
    maps a Content-ID (without `cid:` and <>) to the URL that serves that inline part; an
    unknown or unmapped `cid:` image loses its `src`.
    """
    cleaned = _CLEANER.clean(html)
    if "<img" not in cleaned:
        return cleaned

    def rewrite(match: re.Match[str]) -> str:
        return _rewrite_img(match.group(1), cid_url, load_remote_images)

    return _IMG.sub(rewrite, cleaned)


def _rewrite_img(
    attributes: str, cid_url: Callable[[str], str | None] | None, load_remote_images: bool
) -> str:
    parts: list[str] = []
    for name, value in _ATTR.findall(attributes):
        if name != "src":
            parts.append(f'{name}="{value}"' if value else name)
            continue
        url = unescape(value)
        if url[:4].lower() == "cid:":
            target = cid_url(unquote(url[4:]).strip("<> ")) if cid_url else None
            if target:
                parts.append(f'src="{escape(target, quote=True)}"')
        elif load_remote_images:
            parts.append(f'src="{value}"')
        else:
            parts.append(f'data-remote-src="{value}"')
    return "<img" + "".join(" " + part for part in parts) + ">"


_SKIP = {"script", "style", "head", "title", "template", "noscript", "textarea"}
_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "blockquote"}
_LINE = {
    "div", "li", "tr", "dt", "dd", "pre", "hr", "section", "article", "header", "footer",
    "address", "center", "form", "fieldset", "figure", "figcaption", "main", "nav", "aside",
    "caption", "thead", "tbody", "tfoot",
}  # fmt: skip
_INVISIBLE = re.compile("[\u00ad\u034f\u200b-\u200f\u2060-\u2064\ufeff]")
_SPACE = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip = 0
        self.pre = 0
        self.quote = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self.end_line(keep_empty=True)
        elif tag in _PARAGRAPH:
            self.end_paragraph()
            if tag == "blockquote":
                self.quote += 1
        elif tag in _LINE:
            self.end_line()
            if tag == "li":
                self.current.append("- ")
            elif tag == "pre":
                self.pre += 1
        elif tag in {"td", "th"} and self.current:
            self.current.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _PARAGRAPH:
            self.end_paragraph()
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
        elif tag in _LINE:
            self.end_line()
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.current.append(first)
            for piece in rest:
                self.end_line(keep_empty=True)
                self.current.append(piece)
        else:
            self.current.append(_SPACE.sub(" ", data))

    def end_line(self, *, keep_empty: bool = False) -> None:
        text = _INVISIBLE.sub("", "".join(self.current))
        self.current = []
        text = text.rstrip() if self.pre else _SPACE.sub(" ", text).strip()
        if text or keep_empty:
            self.lines.append(("> " * self.quote + text).rstrip())

    def end_paragraph(self) -> None:
        self.end_line()
        if self.lines and self.lines[-1]:
            self.lines.append("")

    def text(self) -> str:
        self.end_line()
        result = "\n".join(self.lines)
        return re.sub(r"\n{3,}", "\n\n", result).strip("\n")


def html_to_text(html: str) -> str:
    """Return the readable text of `html`: blocks on their own lines, blockquotes as `> `."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return parser.text()
