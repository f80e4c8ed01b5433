"""Post HTML: remote HTML through the allow-list, Hearth's plain text to HTML,
and mentions and hashtags found in plain text.

Tests of hostile HTML name RELIABILITY.md 39. The oracle that checks tags are
balanced and reads text back is the standard library's HTMLParser, used here
only to judge nh3's output, never in the code under test.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from federation import sanitize
from federation.sanitize import (
    LINK_REL,
    MAX_HASHTAGS,
    MAX_MENTIONS,
    find_hashtags,
    find_mentions,
    html_to_text,
    plain_to_html,
    sanitize_html,
)

PAYLOADS = Path(__file__).parent / "data" / "payloads"
VOID = {"br"}
TAG = re.compile(r"<[^>]*>")  # in nh3's output a "<" outside a tag is always escaped
EVENT_HANDLER = re.compile(r"\son[a-z]*\s*=", re.IGNORECASE)


class _Oracle(HTMLParser):
    """Start and end tags in order, plus the text a browser would show."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.balanced = True
        self.text: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1
        if tag not in VOID and (not self.stack or self.stack.pop() != tag):
            self.balanced = False

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def _read(html: str) -> _Oracle:
    oracle = _Oracle()
    oracle.feed(html)
    oracle.close()
    return oracle


def assert_safe(out: str) -> None:
    """What no sanitised output may ever hold, whatever went in."""
    assert "<script" not in out.lower()
    oracle = _read(out)
    assert oracle.balanced and not oracle.stack, out
    for tag in TAG.findall(out):
        assert not EVENT_HANDLER.search(tag), tag
        assert "javascript:" not in tag.lower() and "style=" not in tag, tag
        name = re.match(r"</?([a-z0-9]+)", tag)
        assert name and name[1] in sanitize.ALLOWED_TAGS, tag
        for href in re.findall(r'\shref="([^"]*)"', tag):
            assert re.match(r"(?:https?|mailto):", href, re.IGNORECASE), href


def visible(text: str) -> str:
    return "".join(text.split())


# -- the allow-list ----------------------------------------------------------------------


KEPT = "p strong b em i u s del blockquote code pre sup sub ul ol li span".split()


@pytest.mark.parametrize("tag", KEPT)
def test_allowed_formatting_is_kept(tag):
    assert sanitize_html(f"<{tag}>x</{tag}>") == f"<{tag}>x</{tag}>"


def test_line_breaks_are_kept():
    assert sanitize_html("a<br>b<br/>c") == "a<br>b<br>c"


def test_headings_become_bold_paragraphs():
    assert sanitize_html("<h1>Step one</h1><h6>six</h6>") == (
        "<p><strong>Step one</strong></p><p><strong>six</strong></p>"
    )


def test_a_heading_holding_a_paragraph_still_gives_a_balanced_tree():
    out = sanitize_html("<h2><p>a</p>b</h2>c")
    assert_safe(out)
    assert "h2" not in out and html_to_text(out) == "a\n\nb\n\nc"


def test_ordered_lists_keep_start_and_reversed():
    out = sanitize_html('<ol start="3" reversed><li>a</li></ol>')
    assert out == '<ol start="3" reversed=""><li>a</li></ol>'


def test_ordered_list_start_that_is_not_a_number_is_dropped():
    assert sanitize_html('<ol start="x&quot;>1">a</ol>') == "<ol>a</ol>"


def test_mastodon_mention_keeps_its_href_classes_and_text():
    html = (
        '<p><span class="h-card" translate="no"><a href="https://mamot.fr/@retiolus" '
        'class="u-url mention">@<span>retiolus</span></a></span> hi</p>'
    )
    assert sanitize_html(html) == (
        '<p><span class="h-card" translate="no"><a href="https://mamot.fr/@retiolus" '
        f'class="u-url mention" rel="{LINK_REL}">@<span>retiolus</span></a></span> hi</p>'
    )


def test_link_shortening_spans_are_kept():
    html = (
        '<a href="https://kde.org/donate/" target="_blank"><span class="invisible">https://</span>'
        '<span class="ellipsis">kde.org/donate</span><span class="invisible">/x</span></a>'
    )
    out = sanitize_html(html)
    assert '<span class="invisible">https://</span>' in out
    assert '<span class="ellipsis">kde.org/donate</span>' in out
    assert html_to_text(out) == "https://kde.org/donate/x"


def test_other_classes_are_translated_away():
    html = (
        '<a href="https://x.example/u/a" class="url u-url mention userinfo">a</a>'
        '<span class="vcard h-card big-red-banner">b</span><p class="hidden">c</p>'
    )
    assert sanitize_html(html) == (
        f'<a href="https://x.example/u/a" class="u-url mention" rel="{LINK_REL}">a</a>'
        '<span class="h-card">b</span><p>c</p>'
    )


def test_every_link_gets_rel_nofollow_noopener_noreferrer_and_no_target():
    out = sanitize_html('<a href="https://x.example/" rel="me tag" target="_blank">x</a>')
    assert out == f'<a href="https://x.example/" rel="{LINK_REL}">x</a>'


def test_mailto_links_are_kept():
    out = sanitize_html('<a href="mailto:help@example.org">m</a>')
    assert out == f'<a href="mailto:help@example.org" rel="{LINK_REL}">m</a>'


@pytest.mark.parametrize("html, text", [
    ('<img src="https://x.example/a.png" alt="cat">after', "after"),
    ('<iframe src="https://x.example/">inside</iframe>after', "after"),
    ("<form action=https://x.example><input name=q value=v><button>Go</button></form>", "Go"),
    ('<object data="https://x.example/x.swf">fallback</object>after', "after"),
    ('<embed src="https://x.example/x.swf">after', "after"),
    ("<div><bdi>kept</bdi> <table><tr><td>cell</td></tr></table></div>", "kept cell"),
    ("<textarea>never shown</textarea><template>nor this</template>after", "after"),
])  # fmt: skip
def test_other_elements_are_dropped_keeping_their_text(html, text):
    out = sanitize_html(html)
    assert_safe(out)
    assert out == text


# -- hostile HTML (RELIABILITY.md 39) ----------------------------------------------------


def test_script_is_removed_with_its_content():
    # RELIABILITY.md 39
    out = sanitize_html(
        "<p>hi<script>alert(document.cookie)</script></p><SCRIPT SRC=//x.js></SCRIPT>"
    )
    assert out == "<p>hi</p>"


def test_style_element_is_removed_with_its_content():
    # RELIABILITY.md 39
    assert sanitize_html("<style>body{display:none}</style>text") == "text"


@pytest.mark.parametrize("href", [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "  javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "java\x00script:alert(1)",
    "\x01\x02javascript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
    "&#0000106&#0000097vascript:alert(1)",
    "javascript&colon;alert(1)",
    "jav&#x09;ascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
])  # fmt: skip
def test_links_with_other_schemes_lose_their_href(href):
    # RELIABILITY.md 39
    out = sanitize_html(f'<a href="{href}">x</a>')
    assert_safe(out)
    assert "href" not in out and "script:" not in out.lower() and "data:" not in out.lower()


@pytest.mark.parametrize("href", [
    "//evil.example/x", "///evil.example", "\\\\evil.example", "/\\evil.example", "/local/path",
    "../x", "?q=1", "#frag", "",
])  # fmt: skip
def test_relative_and_protocol_relative_links_lose_their_href(href):
    # RELIABILITY.md 39: they would resolve against this instance, or reach any host.
    assert "href" not in sanitize_html(f'<a href="{href}">x</a>')
    assert "href" not in sanitize_html(f"<a href={href}>x</a>")


def test_data_urls_are_removed_everywhere():
    # RELIABILITY.md 39
    out = sanitize_html(
        '<img src="data:image/svg+xml;base64,PHN2Zz4="><a href="data:,x">y</a>'
        '<object data="data:text/html,x"></object>'
    )
    assert_safe(out)
    assert "data:" not in out


@pytest.mark.parametrize("html", [
    '<img src=x onerror="alert(1)">',
    '<p onclick="alert(1)">p</p>',
    '<a href="https://x.example" onmouseover="alert(1)" ONFOCUS=alert(1)>a</a>',
    '<span/onpointerenter=alert(1)>s</span>',
    '<body onload=alert(1)>b',
])  # fmt: skip
def test_event_handler_attributes_are_removed(html):
    # RELIABILITY.md 39
    out = sanitize_html(html)
    assert_safe(out)
    assert "alert" not in out


def test_style_attributes_are_removed():
    # RELIABILITY.md 39
    out = sanitize_html(
        '<p style="position:fixed;inset:0;background:url(javascript:x)">p</p>'
        '<span style="display:none">s</span>'
    )
    assert out == "<p>p</p><span>s</span>"


@pytest.mark.parametrize("html", [
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math><mi><mglyph><svg><mtext><textarea><path id=\"</textarea><img onerror=alert(1) src=1>\">",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    "<math><annotation-xml encoding=\"text/html\"><style><img src=x onerror=alert(1)></style>",
    "<math href=\"javascript:alert(1)\">click</math>",
    "<math><maction actiontype=statusline xlink:href=javascript:alert(1)>x</maction></math>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">",
])  # fmt: skip
def test_math_with_malformed_nesting_is_sanitised(html):
    # RELIABILITY.md 39: the mutation-XSS shapes that broke DOMPurify and Mastodon's peers.
    out = sanitize_html(html)
    assert_safe(out)
    assert "<img" not in out and "<style" not in out and "math" not in out
    assert sanitize_html(out) == out  # parsed again, as a browser will: nothing mutates


@pytest.mark.parametrize("html", [
    "<svg><script>alert(1)</script></svg>",
    "<svg><script href=data:,alert(1) /></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>t</text></a></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<svg><foreignObject><script>alert(1)</script></foreignObject></svg>",
    "<svg><style>@import 'https://x.example/a.css'</style></svg>",
])  # fmt: skip
def test_svg_with_script_is_removed(html):
    # RELIABILITY.md 39
    out = sanitize_html(html)
    assert_safe(out)
    assert "alert" not in out and "svg" not in out and "@import" not in out


@pytest.mark.parametrize("html", [
    "<p><strong>bold <em>both", "<ul><li>one<li>two", "<a href='https://x.example'>open",
    "</p></p></strong>text</em>", "<b><i>crossed</b></i>", "<blockquote><p>quote",
    '<a href="https://x.exa', "<p>a<", "<p title='unterminated>x",
])  # fmt: skip
def test_unclosed_and_crossed_tags_come_back_balanced(html):
    # RELIABILITY.md 39
    assert_safe(sanitize_html(html))


def test_nested_links_are_split():
    out = sanitize_html('<a href="https://a.example">a<a href="https://b.example">b</a></a>')
    assert_safe(out)
    assert out.count("<a ") == 2


def test_ten_thousand_nested_divs_take_bounded_time():
    # RELIABILITY.md 39
    started = time.monotonic()
    out = sanitize_html("<div>" * 10_000 + "deep" + "</div>" * 10_000)
    assert out == "deep"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "opening",
    ["<blockquote>", "<ul>", "<ul><li>", "<dl><dd>", "<b><div>", "<a><div>", "<span>", "<table>"],
)
def test_deep_nesting_up_to_the_length_limit_takes_bounded_time(opening):
    # RELIABILITY.md 39: html5ever's scope checks are quadratic in depth; the tag budget caps it.
    started = time.monotonic()
    out = sanitize_html(opening * 50_000 + "deep")
    assert time.monotonic() - started < 2
    assert_safe(out)


def test_input_over_max_length_is_cut_before_sanitising():
    out = sanitize_html("<p><strong>" + "a" * 500 + "</strong></p>", max_length=100)
    assert out == "<p><strong>" + "a" * (100 - len("<p><strong>")) + "</strong></p>"


def test_a_cut_through_a_tag_leaves_no_broken_markup():
    html = '<p>see <a href="https://x.example/long">link</a></p>'
    for length in range(len(html) + 1):
        assert_safe(sanitize_html(html, max_length=length))


def test_input_past_the_tag_budget_is_dropped():
    out = sanitize_html("<b>x</b>" * 20_000)
    assert out.count("<b>") == sanitize.MAX_TAGS // 2


@pytest.mark.parametrize("html, expected", [
    ("a\x00b", "ab"),
    ("<p>\x00</p>", "<p></p>"),
    ("<a href=\"https://x.example/\x00\">x\x00</a>", None),
    ("lone \ud800 surrogate", "lone \ufffd surrogate"),
    ("<p title='\udfff'>\udc00x</p>", "<p>\ufffdx</p>"),
    ("split pair \ud83d\ude00", "split pair \U0001f600"),
    ("\x07bell\x1b[31m", "bell[31m"),
])  # fmt: skip
def test_null_bytes_controls_and_lone_surrogates_never_raise(html, expected):
    # RELIABILITY.md 39
    out = sanitize_html(html)
    assert_safe(out)
    assert expected is None or out == expected
    out.encode("utf-8")  # every character can be sent on


def test_comments_are_removed():
    assert sanitize_html("a<!-- <script>x</script> -->b<!--[if IE]><p>c<![endif]-->") == "ab"


_FUZZ_TOKENS = [
    "<", ">", "</", "/>", "<!--", "-->", "<![CDATA[", "]]>", "=", '"', "'", "`", " ", "\n", "\t",
    "&", "&#", "&#x", ";", "&lt;", "&amp;", "&colon;", "&#106;", "&#x09;", "\x00", "\x0b", "\ud800",
    "\U0001f600", "é", "\u202e", "script", "SCRIPT", "style", "svg", "math", "mglyph", "mtext",
    "table", "img", "iframe", "a", "p", "b", "span", "ol", "li", "pre", "h1", "div", "noscript",
    "template", "textarea", "title", "xmp", "plaintext", "form", "select", "option", "object",
    "href", "src", "onerror", "onclick", "ONLOAD", "style", "class", "start", "reversed",
    "javascript:", "JaVaScRiPt:", "java\tscript:", "vbscript:", "data:", "//", "http://",
    "https://x.example/", "mailto:", "alert(1)", "mention", "h-card", "invisible",
]  # fmt: skip


def _fuzz_inputs(count: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)  # noqa: S311 - reproducible fuzzing, not cryptography
    for _ in range(count):
        yield "".join(rng.choice(_FUZZ_TOKENS) for _ in range(rng.randint(1, 120)))


def test_fuzzed_markup_never_raises_and_never_comes_out_dangerous():
    # RELIABILITY.md 39
    started = time.monotonic()
    for html in _fuzz_inputs(3000, seed=39):
        out = sanitize_html(html)
        assert_safe(out)
        # A browser parses the output again. That may regroup what a tree built
        # from broken markup held (an <a> inside an <a> becomes two), but it must
        # not bring out anything new: parsed again, nothing is dropped.
        again = sanitize_html(out)
        assert_safe(again)
        assert visible("".join(_read(again).text)) == visible("".join(_read(out).text)), html
        html_to_text(html).encode("utf-8")
    assert time.monotonic() - started < 30


def test_fuzzed_plain_text_gives_html_the_sanitiser_leaves_alone():
    for text in _fuzz_inputs(3000, seed=7):
        html = plain_to_html(text)
        assert sanitize_html(html, max_length=len(html)) == html, text


def test_a_failing_sanitiser_falls_back_to_escaped_text(monkeypatch, caplog):
    # RELIABILITY.md 39: never raises, even when nh3 does.
    class Broken:
        def clean(self, html: str) -> str:
            raise RuntimeError("panicked")

    monkeypatch.setattr(sanitize, "_POST_CLEANER", Broken())
    with caplog.at_level(logging.WARNING, logger="federation.sanitize"):
        out = sanitize_html("<b>private words</b> & more")
    assert out == "<p>&lt;b&gt;private words&lt;/b&gt; &amp; more</p>"
    assert "RuntimeError" in caplog.text and "private words" not in caplog.text
    assert html_to_text("<b>x</b>") == "<b>x</b>"


# -- real payloads -----------------------------------------------------------------------


def _content_strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("content", "summary") and isinstance(item, str):
                yield item
            elif key in ("contentMap", "summaryMap") and isinstance(item, dict):
                yield from (text for text in item.values() if isinstance(text, str))
            yield from _content_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _content_strings(item)


PAYLOAD_STRINGS = sorted({
    text
    for path in PAYLOADS.rglob("*.json")
    for text in _content_strings(json.loads(path.read_text(encoding="utf-8")))
})  # fmt: skip


def test_the_payloads_hold_html_from_every_kind_of_server():
    assert len(PAYLOAD_STRINGS) > 50
    assert any('class="u-url mention"' in text for text in PAYLOAD_STRINGS)
    assert any("<bdi>" in text for text in PAYLOAD_STRINGS)


@pytest.mark.parametrize("html", PAYLOAD_STRINGS, ids=lambda text: text[:40])
def test_every_payload_content_and_summary_is_sanitised_keeping_its_text(html):
    out = sanitize_html(html)
    assert_safe(out)
    assert visible(html_to_text(html)) == visible("".join(_read(html).text))


def test_payload_mentions_and_hashtags_keep_their_text_and_href():
    mastodon = json.loads((PAYLOADS / "mastodon/objects/note_1.json").read_text())
    out = sanitize_html(mastodon["content"])
    assert '<a href="https://mamot.fr/@retiolus" class="u-url mention"' in out
    assert ">@<span>retiolus</span></a>" in out
    assert html_to_text(out).startswith("@retiolus i have never been disappointed")
    featured = json.loads((PAYLOADS / "mastodon/collections/featured.json").read_text())
    out = sanitize_html(featured["orderedItems"][0]["content"])
    assert (
        '<a href="https://mastodon.social/tags/reddit" class="mention hashtag" '
        f'rel="tag {LINK_REL}">#<span>reddit</span></a>'
    ) in out  # rel="tag" kept, as Mastodon keeps it


def test_payload_friendica_share_keeps_its_text_without_its_layout():
    note = json.loads((PAYLOADS / "friendica/objects/note_2.json").read_text())
    out = sanitize_html(note["contentMap"]["en"])
    assert_safe(out)
    assert "<div" not in out and "target=" not in out and "shared-wrapper" not in out
    assert "Do your commenting tests here." in html_to_text(out)


# -- html_to_text ------------------------------------------------------------------------


def test_html_to_text_puts_blank_lines_between_paragraphs_and_newlines_at_breaks():
    html = "<p>One<br>two</p>\n<p>  three   four </p><blockquote><p>quoted</p></blockquote>end"
    assert html_to_text(html) == "One\ntwo\n\nthree four\n\nquoted\n\nend"


def test_html_to_text_lists_one_item_a_line():
    assert html_to_text("<p>Steps:</p><ol><li>one</li><li>two</li></ol>") == "Steps:\n\none\ntwo"


def test_html_to_text_keeps_preformatted_spacing():
    assert html_to_text("<p>code:</p><pre>  a = 1\n  b  = 2</pre>") == "code:\n\n  a = 1\n  b  = 2"


def test_html_to_text_unescapes_entities_once_and_drops_scripts():
    html = "<p>&lt;b&gt; &amp;amp; caf&eacute; &#128512;</p><script>alert(1)</script>"
    assert html_to_text(html) == "<b> &amp; café \U0001f600"


def test_html_to_text_of_hostile_html_never_raises():
    # RELIABILITY.md 39
    for html in ["", "\ud800", "<math><mtext><table><mglyph><style><img>", "<div>" * 20_000]:
        html_to_text(html).encode("utf-8")


# -- plain_to_html -----------------------------------------------------------------------


def test_plain_text_is_escaped():
    assert plain_to_html("<script>alert('x')</script> & \"q\"") == (
        "<p>&lt;script&gt;alert('x')&lt;/script&gt; &amp; \"q\"</p>"
    )


def test_plain_text_paragraphs_split_at_blank_lines_and_lines_get_br():
    text = "Day 30.\r\nStill here.\n\n \n\nThanks all\nsee you\n\n\n"
    assert plain_to_html(text) == "<p>Day 30.<br>Still here.</p><p>Thanks all<br>see you</p>"


def test_plain_text_links_http_and_https_urls():
    out = plain_to_html("Meeting: https://meet.example/room?a=1&b=2. Or http://x.example/!")
    assert out == (
        f'<p>Meeting: <a href="https://meet.example/room?a=1&amp;b=2" rel="{LINK_REL}">'
        "https://meet.example/room?a=1&amp;b=2</a>. Or "
        f'<a href="http://x.example/" rel="{LINK_REL}">http://x.example/</a>!</p>'
    )


def test_plain_text_urls_keep_their_own_brackets_but_not_the_sentences():
    out = plain_to_html("(see https://en.wikipedia.org/wiki/Sobriety_(disambiguation)) ok")
    assert 'href="https://en.wikipedia.org/wiki/Sobriety_(disambiguation)"' in out
    assert "</a>) ok" in out


@pytest.mark.parametrize("text", [
    "javascript:alert(1)", "data:text/html,x", "ftp://x.example/", "https://", "http://[::1",
    "www.example.org", "xhttps://x.example",
])  # fmt: skip
def test_plain_text_links_nothing_else(text):
    assert "<a" not in plain_to_html(text)


@pytest.mark.parametrize("text", [
    "https://x.example/" + "." * 100_000, "https://x.example/(" + ").)" * 30_000,
    "@" + "a-" * 50_000 + "@", "@a@" + "b." * 50_000 + "@", "#" + "1" * 100_000,
])  # fmt: skip
def test_long_runs_of_punctuation_take_bounded_time(text):
    started = time.monotonic()
    plain_to_html(text)
    find_mentions(text)
    find_hashtags(text)
    assert time.monotonic() - started < 1


def test_plain_text_leaves_mentions_and_hashtags_as_text():
    assert plain_to_html("@ayame@misskey.example #sober") == "<p>@ayame@misskey.example #sober</p>"


# -- linked mentions and hashtags (web.posting resolves the mentions) ---------------------

TAGS = "https://hearth.example/tags"
RESOLVED = {
    ("river", None): "https://hearth.example/@river",
    ("ash", "127.0.0.1:8123"): "https://127.0.0.1:8123/@ash",
    ("kiri", "mastodon.example"): "https://mastodon.example/@kiri",
}


def _mention_html(href: str, shown: str) -> str:
    return (f'<span class="h-card" translate="no"><a href="{href}" class="u-url mention">'
            f"@<span>{shown}</span></a></span>")


def _tag_html(name: str, shown: str) -> str:
    return (f'<a href="{TAGS}/{name}" class="mention hashtag" rel="tag">'
            f"#<span>{shown}</span></a>")


def test_resolved_mentions_and_hashtags_are_linked_as_mastodon_links_them():
    out = plain_to_html("Thanks @River and @kiri@Mastodon.Example! #Sober day",
                        mentions=RESOLVED, tag_base=TAGS)
    assert out == (
        f"<p>Thanks {_mention_html('https://hearth.example/@river', 'River')} and "
        f"{_mention_html('https://mastodon.example/@kiri', 'kiri@Mastodon.Example')}! "
        f"{_tag_html('sober', 'Sober')} day</p>"
    )
    # What the edit form reads back is what was written.
    assert html_to_text(out) == "Thanks @River and @kiri@Mastodon.Example! #Sober day"


@pytest.mark.parametrize(("text", "shown", "after"), [
    ("hi @ash@127.0.0.1:8123, welcome", "ash@127.0.0.1:8123", ", welcome</p>"),
    ("(@ash@127.0.0.1:8123)!", "ash@127.0.0.1:8123", ")!</p>"),
    ("@ash@127.0.0.1:8123.", "ash@127.0.0.1:8123", ".</p>"),
])  # fmt: skip
def test_mentions_with_a_port_are_linked_without_the_punctuation_after_them(text, shown, after):
    out = plain_to_html(text, mentions=RESOLVED, tag_base=TAGS)
    assert _mention_html("https://127.0.0.1:8123/@ash", shown) + after in out


@pytest.mark.parametrize("text", [
    "https://x.example/p#sober", "https://x.example/tags/#sober", "see https://x.example/@river",
    "mail river@hearth.example", "C#sharp", "#1 and #30", "@ash@127.0.0.1:8123abc",
    "@ash@127.0.0.1:9999", "@someone_unknown", "&#sober", "a/#sober", "x@river",
])  # fmt: skip
def test_what_is_no_mention_or_hashtag_or_was_not_resolved_stays_text(text):
    out = plain_to_html(text, mentions=RESOLVED, tag_base=TAGS)
    assert "mention" not in out and "hashtag" not in out


def test_hashtags_inside_urls_are_not_linked_but_the_url_is():
    out = plain_to_html("https://x.example/a#sober #sober", mentions=RESOLVED, tag_base=TAGS)
    assert out == (f'<p><a href="https://x.example/a#sober" rel="{LINK_REL}">'
                   f"https://x.example/a#sober</a> {_tag_html('sober', 'sober')}</p>")


def test_without_links_given_mentions_and_hashtags_stay_text():
    assert plain_to_html("@river #sober", mentions={}, tag_base=None) == "<p>@river #sober</p>"


def test_unicode_hashtags_link_to_their_case_folded_escaped_name():
    out = plain_to_html("#Día_1 #日本", tag_base=TAGS)
    assert f'href="{TAGS}/d%C3%ADa_1"' in out and ">#<span>Día_1</span></a>" in out
    assert f'href="{TAGS}/%E6%97%A5%E6%9C%AC"' in out


@pytest.mark.parametrize("href", [
    "javascript:alert(1)", "data:text/html,<script>x</script>", "/@river", "//evil.example/",
    "", " https://x.example/",
])  # fmt: skip
def test_a_mention_links_only_to_an_http_address(href):
    out = plain_to_html("@river", mentions={("river", None): href}, tag_base=href)
    assert out == "<p>@river</p>"


def test_a_mention_or_tag_address_cannot_add_markup():
    # The posting code takes a remote actor's profile url as its server gave it.
    hostile = 'https://evil.example/"><script>alert(1)</script><a href="x'
    out = plain_to_html("@kiri@mastodon.example <b>#sober</b> & @river<i>",
                        mentions={("kiri", "mastodon.example"): hostile,
                                  ("river", None): "https://h.example/@river?a=1&b=2"},
                        tag_base='https://h.example/"onclick="x')
    assert "<script" not in out and "<b>" not in out and "<i>" not in out
    assert 'href="https://evil.example/&quot;&gt;&lt;script&gt;' in out
    assert 'href="https://h.example/@river?a=1&amp;b=2"' in out
    assert 'href="https://h.example/&quot;onclick=&quot;x/sober"' in out
    assert "&lt;b&gt;" in out and "&amp; " in out
    assert visible(html_to_text(out)) == visible("@kiri@mastodon.example <b>#sober</b> & @river<i>")
    assert_safe(sanitize_html(out))


_LINK_TOKENS = [*_FUZZ_TOKENS, "@", "#", "@river", "#sober", "@ash@h.example", ":8123", ".",
                "_", "-", "日本", "x.example", "@kiri@mastodon.example:443", "#Día"]


def test_fuzzed_text_with_every_mention_resolved_shows_the_same_text():
    rng = random.Random(12)  # noqa: S311 - reproducible fuzzing, not cryptography
    linked_any = 0
    for _ in range(1500):
        text = "".join(rng.choice(_LINK_TOKENS) for _ in range(rng.randint(1, 80)))
        mentions = {(u.lower(), h.lower() if h else None): "https://h.example/@u"
                    for u, h in find_mentions(text)}
        linked = plain_to_html(text, mentions=mentions, tag_base=TAGS)
        assert visible("".join(_read(linked).text)) == visible(
            "".join(_read(plain_to_html(text)).text)), text
        oracle = _read(linked)
        assert oracle.balanced and not oracle.stack, text
        # Only the links written here: no markup from the text.
        starts = re.findall(r"<([a-z]+)", linked)
        assert set(starts) <= {"p", "br", "a", "span"}, text
        out = sanitize_html(linked)
        assert out.count('class="u-url mention"') == linked.count('class="u-url mention"')
        assert out.count('rel="tag ') == linked.count('rel="tag"')
        linked_any += "</a></span>" in linked and 'rel="tag"' in linked
    assert linked_any > 100


def test_linked_post_html_keeps_its_mastodon_classes_through_the_sanitiser():
    out = sanitize_html(plain_to_html("@river #sober", mentions=RESOLVED, tag_base=TAGS))
    assert out == (
        '<p><span class="h-card" translate="no"><a href="https://hearth.example/@river" '
        f'class="u-url mention" rel="{LINK_REL}">@<span>river</span></a></span> '
        f'<a href="{TAGS}/sober" class="mention hashtag" rel="tag {LINK_REL}">'
        "#<span>sober</span></a></p>"
    )
    assert sanitize_html(out) == out


@pytest.mark.parametrize("text", [
    "Day 1 <3\n\nhttps://x.example/a?b=\"c\"&d='e'", "a & b\nc > d", "plain",
    "@kiri@mastodon.example thanks #sober https://mastodon.example/@kiri",
])  # fmt: skip
def test_plain_text_html_is_already_what_the_sanitiser_gives(text):
    html = plain_to_html(text)
    assert sanitize_html(html) == html


def test_plain_text_never_raises_on_odd_characters():
    assert plain_to_html("a\x00\ud800b") == "<p>a\ufffdb</p>"
    assert plain_to_html("") == "" and plain_to_html("\n\n  \n") == ""


# -- mentions and hashtags ---------------------------------------------------------------

POST = (
    "Thanks @alice@Social.Example, @bob and (@carol@lemmy.example)! Mail me at dave@example.org "
    "or see https://mastodon.example/@erin and https://x.example/p#frag, "
    "https://x.example/tags/#notatag. @alice@social.example again. "
    "Day #30 of #Sober-living, #sober #día_1 #日本 C# &#39;s __#__ #_ ##twice "
    "cc @frank.g@sub.host.example: and @grace."
)


def test_find_mentions_finds_remote_and_local_mentions_but_not_emails_or_urls():
    assert find_mentions(POST) == [
        ("alice", "Social.Example"), ("bob", None), ("carol", "lemmy.example"),
        ("frank.g", "sub.host.example"), ("grace", None),
    ]  # fmt: skip


@pytest.mark.parametrize(("text", "found"), [
    ("hi @ash@127.0.0.1:8123, welcome", [("ash", "127.0.0.1:8123")]),
    ("@ash@host.example:8443.", [("ash", "host.example:8443")]),
    ("(@ash@host.example:8443)!", [("ash", "host.example:8443")]),
    ("@ash@host.example: hello", [("ash", "host.example")]),
    ("@ash@host.example:8443abc @ash@host.example:84x @ash@h.example:123456", []),
    ("mail ash@host.example:8443 or https://host.example:8443/@ash@x.example:1", []),
])  # fmt: skip
def test_find_mentions_reads_a_port_but_not_trailing_punctuation(text, found):
    assert find_mentions(text) == found


def test_find_hashtags_finds_unicode_tags_but_not_numbers_urls_or_words():
    assert find_hashtags(POST) == ["Sober", "día_1", "日本"]


def test_mentions_and_hashtags_are_capped_at_fifty():
    # RELIABILITY.md 37
    many = " ".join(f"@user{n}@host{n}.example #tag{n}" for n in range(10_000))
    assert len(find_mentions(many)) == MAX_MENTIONS == 50
    assert len(find_hashtags(many)) == MAX_HASHTAGS == 50
    assert find_mentions(many)[-1] == ("user49", "host49.example")


def test_mentions_and_hashtags_in_empty_or_odd_text():
    assert find_mentions("") == [] and find_hashtags("") == []
    assert find_mentions("@ @@ @-x a@b") == [] and find_hashtags("# ## #- #123") == []
    assert find_mentions("\ud800@x\x00") == [("x", None)]
