import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layan.core.html import html_to_text, sanitize_html

ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<img src=x OnErRoR = alert(1)>",
    "<img/src=x/onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<a href='javascript:alert(1)'>x</a>",
    "<a href='JaVaScRiPt:alert(1)'>x</a>",
    "<a href=' javascript:alert(1)'>x</a>",
    "<a href='java\tscript:alert(1)'>x</a>",
    "<a href='java\nscript:alert(1)'>x</a>",
    "<a href='jav&#x09;ascript:alert(1)'>x</a>",
    "<a href='&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)'>x</a>",
    "<a href='&#x6A;avascript:alert(1)'>x</a>",
    "<a href='javascript&colon;alert(1)'>x</a>",
    "<a href='vbscript:msgbox(1)'>x</a>",
    "<a href='data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='>x</a>",
    "<img src='data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+'>",
    "<iframe src='https://evil.example'></iframe>",
    "<object data='evil.swf'></object><embed src='evil.swf'>",
    "<form action='https://evil.example'><input name=p></form>",
    "<meta http-equiv='refresh' content='0;url=https://evil.example'>",
    "<base href='https://evil.example/'>",
    "<link rel=stylesheet href='https://evil.example/x.css'>",
    "<style>body{background:url(https://evil.example/track)}</style>",
    "<div style='background-image:url(https://evil.example/track)'>x</div>",
    "<div style='background:url(javascript:alert(1))'>x</div>",
    "<div style='width: expression(alert(1))'>x</div>",
    "<div style='behavior:url(x.htc)'>x</div>",
    "<div style='list-style-image:url(https://evil.example/t)'>x</div>",
    "<p style='position:fixed;top:0;left:0;width:100%;height:100%'>overlay</p>",
    "<table background='https://evil.example/t.gif'><tr><td>x</td></tr></table>",
    "<a href='https://ok.example' onclick='steal()'>x</a>",
    "<a href='https://ok.example' target='_self' rel='opener'>x</a>",
    "<!--[if gte mso 9]><script>alert(1)</script><![endif]-->",
    "<p title='\"><script>alert(1)</script>'>x</p>",
    "<img src='https://t.example/p.gif' srcset='https://t.example/p2.gif 2x'>",
    "<video poster='https://t.example/p.gif'></video><audio src='https://t.example/a.mp3'></audio>",
]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


def assert_harmless(cleaned: str) -> None:
    collector = _Collector()
    collector.feed(cleaned)
    assert not {"script", "style", "iframe", "object", "embed", "form", "input", "meta",
                "base", "link", "svg", "math", "video", "audio"} & set(collector.tags)  # fmt: skip
    for name, value in collector.attributes:
        compact = re.sub(r"\s", "", value).lower()
        assert not name.startswith("on"), (name, value)
        assert name not in {"srcset", "background", "poster", "action", "formaction"}
        assert not compact.startswith(("javascript:", "vbscript:", "data:")), (name, value)
        if name == "style":
            assert "url(" not in compact and "expression(" not in compact
            assert "position" not in compact and "behavior" not in compact
        if name == "src":
            assert not compact.startswith(("http:", "https:", "//")), "remote image loads"
    assert "<script" not in cleaned.lower()


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_are_neutralised(attack):
    """Scripts, handlers, dangerous URLs, embeds, forms and leaky styles never survive."""
    assert_harmless(sanitize_html(attack))


FRAGMENTS = st.sampled_from(
    [
        "<", ">", "/", "=", "'", '"', " ", "\t", "\n", "&#x09;", "&#106;", "&colon;",
        "script", "SCRIPT", "javascript:", "JaVaScRiPt:", "vbscript:", "data:", "alert(1)",
        "on", "onerror", "onload", "img", "a", "href", "src", "style", "url(", "expression(",
        "<img", "<a", "<svg", "<iframe", "<p", "</p>", "<!--", "-->", "x", "https://t.example/",
    ]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(FRAGMENTS, max_size=40).map("".join))
def test_generated_markup_is_harmless(markup):
    """Markup stitched from attack fragments never yields scripts, handlers or bad URLs."""
    assert_harmless(sanitize_html(markup))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_any_text_is_harmless(text):
    """Arbitrary input sanitises without error and without active content."""
    assert_harmless(sanitize_html(text))


def test_formatting_survives():
    """Ordinary e-mail formatting stays."""
    html = (
        "<p style='color:#333;font-weight:bold'>Halo <b>Budi</b>, <i>terima</i> <u>kasih</u></p>"
        "<ul><li>satu</li></ul><table border='1'><tr><td colspan='2'>sel</td></tr></table>"
        "<blockquote>kutipan</blockquote><br><hr>"
    )
    cleaned = sanitize_html(html)
    kept = ["<b>Budi</b>", "<i>terima</i>", "<li>satu</li>", 'colspan="2"', "color:#333",
            "<blockquote>kutipan</blockquote>", "font-weight:bold"]  # fmt: skip
    assert all(fragment in cleaned for fragment in kept)


def test_links_open_safely():
    """Links get rel=noopener noreferrer nofollow and open in a new tab."""
    cleaned = sanitize_html("<a href='https://toko.example/p?a=1&b=2'>toko</a>")
    assert cleaned == (
        '<a href="https://toko.example/p?a=1&amp;b=2" target="_blank" '
        'rel="noopener noreferrer nofollow">toko</a>'
    )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<img src="https://t.example/p.gif" alt="logo">',
         '<img data-remote-src="https://t.example/p.gif" alt="logo">'),
        ('<img alt="a>b" src="http://t.example/x.png?a=1&amp;b=2">',
         '<img alt="a&gt;b" data-remote-src="http://t.example/x.png?a=1&amp;b=2">'),
        ('<img src="/relative.png">', "<img>"),
        ('<img data-remote-src="javascript:alert(1)" src="cid:x">', "<img>"),
    ],
)  # fmt: skip
def test_remote_images_are_not_loaded(html, expected):
    """Remote images keep their URL in data-remote-src and have no src; nothing else sneaks in."""
    assert sanitize_html(html) == expected


def test_remote_images_load_when_asked():
    """The UI's "show images" keeps remote sources."""
    html = '<img src="https://t.example/p.gif">'
    assert sanitize_html(html, load_remote_images=True) == html


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("cid:logo@layan", '<img src="/lampiran/logo@layan">'),
        ("CID:%3Clogo@layan%3E", '<img src="/lampiran/logo@layan">'),
        ("cid:unknown@layan", "<img>"),
        ('cid:x"onerror="alert(1)', "<img>"),
    ],
)
def test_cid_images_map_through_the_callback(src, expected):
    """cid: images point where the caller serves them; unknown ones lose their source."""
    known = {"logo@layan": "/lampiran/logo@layan"}
    assert sanitize_html(f"<img src='{src}'>", cid_url=known.get) == expected


def test_cid_callback_output_is_escaped():
    """Whatever the callback returns stays inside the attribute."""
    cleaned = sanitize_html("<img src='cid:a'>", cid_url=lambda cid: '/x" onerror="alert(1)')
    assert cleaned == '<img src="/x&quot; onerror=&quot;alert(1)">'
    assert_harmless(cleaned)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Halo&nbsp;Budi,</p><p>Terima kasih.</p>", "Halo Budi,\n\nTerima kasih."),
        ("baris<br>dua<br/>tiga", "baris\ndua\ntiga"),
        ("<div>a</div><div>b</div>", "a\nb"),
        ("<ul><li>satu</li><li>dua</li></ul>", "- satu\n- dua"),
        ("<blockquote><p>lama</p><blockquote>lagi</blockquote></blockquote>", "> lama\n\n> > lagi"),
        ("<pre>  kode\n    indent</pre>", "  kode\n    indent"),
        ("<style>p{color:red}</style><script>x()</script><title>t</title>isi", "isi"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
        ("pre&zwnj;&#8203;header\u200b", "preheader"),
        ("<p>   spasi    banyak   </p>", "spasi banyak"),
        ("", ""),
    ],
)  # fmt: skip
def test_html_to_text(html, text):
    """HTML becomes readable text: blocks on lines, quotes with >, hidden parts dropped."""
    assert html_to_text(html) == text
