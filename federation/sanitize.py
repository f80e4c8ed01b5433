"""Post HTML made safe to show, and plain text made into post HTML.

Remote ``content`` and ``summary`` go through ``sanitize_html`` before anyone
sees them (DESIGN.md "Rules that keep members safe", RELIABILITY.md 39). It
is an allow-list run by nh3, the Python binding of Rust's ammonia, which
parses with html5ever exactly as a browser would, so no HTML is parsed here.
The list is what Mastodon-family servers put in a post:

- text: ``p br strong b em i u s del code pre blockquote sup sub``;
- lists: ``ul ol li``, ``ol`` keeping ``start`` (an integer) and ``reversed``;
- links: ``a`` with ``href`` (absolute ``http``, ``https`` or ``mailto`` only;
  relative and protocol-relative addresses are dropped: they would resolve
  against this instance), the classes ``mention hashtag u-url`` and
  ``translate="no"``; every kept ``<a>`` gets ``rel="nofollow noopener
  noreferrer"`` in place of whatever the sender put there (a hashtag link,
  class ``hashtag``, keeps ``tag`` in front, as Mastodon keeps it), and no
  ``target`` (a new tab the reader did not ask for is an accessibility problem);
- ``span`` with the classes ``h-card invisible ellipsis`` (Mastodon wraps
  mentions in an h-card and shortens long links with invisible/ellipsis
  spans: the page's stylesheet must hide ``.invisible``) and ``translate="no"``.

Headings become ``<p><strong>...</strong></p>``, as Mastodon shows them: a
post sits inside a page whose heading outline belongs to Hearth, and a remote
``<h1>`` would take over that outline for screen-reader users. Every other
element is dropped and its text kept; ``script``, ``style`` and the elements
whose content is never shown as text (``template``, ``iframe``, ``noscript``,
``textarea``...) go with their content. Comments, ``style`` and event-handler
attributes go too.

Denial of service: the input is cut to ``max_length`` characters and to
``MAX_TAGS`` tags before parsing. html5ever's scope checks make deeply nested
block elements cost time in the square of the depth (about 3 s for 33,000
nested lists); 10,000 tags cost about 0.15 s at worst.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape, unescape
from itertools import islice
from urllib.parse import quote, urlsplit

import nh3

logger = logging.getLogger(__name__)

MAX_HTML_LENGTH = 100_000
MAX_TAGS = 10_000  # "<" characters read; see the module docstring
MAX_MENTIONS = 50
MAX_HASHTAGS = 50
LINK_REL = "nofollow noopener noreferrer"

ALLOWED_TAGS = frozenset({
    "p", "br", "a", "span", "strong", "b", "em", "i", "u", "s", "del",
    "blockquote", "code", "pre", "ul", "ol", "li", "sup", "sub",
})  # fmt: skip
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})  # parsed, then made bold
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Dropped with everything inside them: never text a reader was meant to see.
_DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "template", "iframe", "noscript", "noembed", "noframes",
    "object", "textarea", "select", "title", "xmp",
})  # fmt: skip
_CLASSES = {
    "a": frozenset({"mention", "hashtag", "u-url"}),
    "span": frozenset({"h-card", "invisible", "ellipsis"}),
}
_NO_TRANSLATE = {"translate": frozenset({"no"})}

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")  # keeps \t \n \f \r
_TAG_START = re.compile("<")
_OL_START = re.compile(r"-?\d{1,9}")
_SAFE_HREF = re.compile(r"(?:https?|mailto):", re.IGNORECASE)
_SAFE_LINK = re.compile(r"https?://[^\s]", re.IGNORECASE)  # what a mention or tag may link to
# These work on nh3's own output, where tags carry no stray spaces or case and
# a "<" outside a tag is always escaped; nh3 parses the result again.
_HEADING_TAG = re.compile(r"<(/?)h[1-6]>")
_PRE_BLOCK = re.compile(r"(<pre>.*?</pre>)", re.DOTALL)
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_BREAK = re.compile(r"<br>|</?(?:p|blockquote|pre|ul|ol)>|</?li>")
_SPACE_AT_NEWLINE = re.compile(r" *\n *")
_SPACE_AT_LINE_END = re.compile(r"[ \t]+\n")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_NEWLINES = {"<br>": "\n", "<li>": "", "</li>": "\n"}  # any other block: a blank line
_EMPTY_BOLD = re.compile(r"<p><strong></strong></p>")
# nh3 writes attribute values in double quotes with '"', '<' and '>' escaped,
# and the rel it adds last.
_HASHTAG_LINK = re.compile(
    rf'(<a [^>]*class="(?:[^"]* )?hashtag(?: [^"]*)?"[^>]*) rel="{LINK_REL}">')


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Second line behind ammonia's own checks; must never raise (nh3 would
    report it through sys.unraisablehook and drop the attribute)."""
    if attribute == "href":
        return value if _SAFE_HREF.match(value.strip()) else None
    if tag == "ol" and attribute == "start":
        return value if _OL_START.fullmatch(value.strip()) else None
    if tag == "ol" and attribute == "reversed":
        return ""
    return value


_POST_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS | _HEADINGS),
    clean_content_tags=set(_DROPPED_WITH_CONTENT),
    # "*" replaces ammonia's default attributes for every tag (lang, title).
    attributes={"*": set(), "a": {"href"}, "ol": {"start", "reversed"}},
    allowed_classes={tag: set(names) for tag, names in _CLASSES.items()},
    tag_attribute_values={"a": _NO_TRANSLATE, "span": _NO_TRANSLATE},
    attribute_filter=_filter_attribute,
    link_rel=LINK_REL,
    url_schemes=set(URL_SCHEMES),
    url_relative="deny",
    strip_comments=True,
)
# Keeps only text (escaped), for html_to_text.
_TEXT_CLEANER = nh3.Cleaner(tags=set(), clean_content_tags=set(_DROPPED_WITH_CONTENT))


# -- remote HTML -------------------------------------------------------------------


def sanitize_html(html: str, *, max_length: int = MAX_HTML_LENGTH) -> str:
    """``html`` reduced to the allow-list, as a balanced fragment. Input past
    ``max_length`` characters or ``MAX_TAGS`` tags is cut off first. Never
    raises: should nh3 fail, the failure is logged and the text comes back
    escaped inside one ``<p>``."""
    text = _within_budget(_scrub(html), max_length)
    cleaned = _clean(_POST_CLEANER, text)
    if cleaned is None:
        return f"<p>{escape(text, quote=False)}</p>" if text else ""
    # Characters written as references (&#x7; &#13;) come out raw: tidy them
    # as the parser tidies raw ones, so that sanitising the result changes nothing.
    cleaned = _CONTROL.sub("", cleaned).replace("\r\n", "\n").replace("\r", "\n")
    bold = _headings_to_bold(cleaned)
    if bold == cleaned:
        return _hashtag_rel(cleaned)
    # The new <p> may sit where a <p> cannot (inside a heading's <p>, say):
    # a second pass gives the tree a browser would build from it.
    again = _clean(_POST_CLEANER, bold)
    return _hashtag_rel(cleaned if again is None else _EMPTY_BOLD.sub("", again))


def html_to_text(html: str) -> str:
    """The text of ``html`` once sanitised, for previews, notifications and
    search: a blank line between paragraphs and other blocks, a newline at
    each ``<br>`` and between list items, runs of spaces collapsed outside
    ``<pre>``. A link Mastodon shortened with invisible spans reads in full.
    Never raises."""
    parts = _PRE_BLOCK.split(sanitize_html(html))
    marked = [
        _block_breaks(part, in_pre=index % 2 == 1) for index, part in enumerate(parts)
    ]  # split() puts the <pre> blocks at odd indices
    text = _clean(_TEXT_CLEANER, "".join(marked))
    if text is None:
        return ""
    text = _SPACE_AT_LINE_END.sub("\n", unescape(text))
    return _MANY_NEWLINES.sub("\n\n", text).strip()


def _scrub(text: str) -> str:
    """No lone surrogates (nh3 cannot take them: a split pair is joined,
    anything else becomes U+FFFD) and no control characters but whitespace."""
    if _SURROGATE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _CONTROL.sub("", text)


def _within_budget(text: str, max_length: int) -> str:
    text = text[: max(0, max_length)]
    past_budget = next(islice(_TAG_START.finditer(text), MAX_TAGS, None), None)
    return text if past_budget is None else text[: past_budget.start()]


def _clean(cleaner: nh3.Cleaner, text: str) -> str | None:
    try:
        return cleaner.clean(text)
    except Exception as exc:  # nh3 is Rust underneath: whatever it raises, posts still show
        # The error, never the text: it may be a direct message (RELIABILITY.md 29).
        logger.warning(
            "HTML sanitiser failed on %d characters (%s: %.200s); shown as escaped text",
            len(text),
            type(exc).__name__,
            exc,
        )
        return None


def _hashtag_rel(safe: str) -> str:
    """A hashtag link keeps ``rel="tag"`` beside the ``rel`` nh3 puts on
    every link, as Mastodon keeps it (nh3 can only set one ``rel`` for all)."""
    return _HASHTAG_LINK.sub(rf'\1 rel="tag {LINK_REL}">', safe)


def _headings_to_bold(safe: str) -> str:
    return _HEADING_TAG.sub(lambda m: "</strong></p>" if m[1] else "<p><strong>", safe)


def _block_breaks(safe: str, *, in_pre: bool) -> str:
    """Newlines for block boundaries, spaces collapsed as a browser shows them."""
    if in_pre:
        return _BREAK.sub(_newline_for, safe)
    spaced = _BREAK.sub(_newline_for, _HTML_SPACE.sub(" ", safe))
    return _SPACE_AT_NEWLINE.sub("\n", spaced)


def _newline_for(tag: re.Match[str]) -> str:
    return _NEWLINES.get(tag[0], "\n\n")


# -- Hearth's own plain text -------------------------------------------------------

# http(s), a host name (IDN letters allowed) or a bracketed IPv6 address, an
# optional port, then anything up to a space, "<", ">" or '"'.
_URL = re.compile(
    r"\bhttps?://(?:[\w-]+(?:\.[\w-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?(?:[/?#][^\s<>\"]*)?",
    re.IGNORECASE,
)
_URL_TAIL = ".,:;!?'\"*_"  # punctuation that ends a sentence, not a URL
_BRACKETS = (("(", ")"), ("[", "]"), ("{", "}"))
_BLANK_LINE = re.compile(r"\n[ \t\f]*\n")
# @user, or @user@host with an optional port (@sam@127.0.0.1:8123); a port
# is digits only, so "@sam@host.example:" or "...:8443." ends before the
# punctuation, and "@sam@host.example:84x" is no mention at all.
_MENTION = re.compile(
    r"(?<![\w@/])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)"
    r"(?:@([\w-]+(?:\.[\w-]+)+(?::\d{1,5})?))?(?![\w@]|:\d)",
    re.IGNORECASE,
)
_HASHTAG = re.compile(r"(?<![\w&#/])#(\w+)")


@dataclass(frozen=True, slots=True)
class _Links:
    """Where a post's mentions and hashtags point: ``mentions`` by
    ``(username, host or None)``, both lower case; hashtags under
    ``tag_base`` (no hashtag is linked without one)."""

    mentions: Mapping[tuple[str, str | None], str]
    tag_base: str | None


def plain_to_html(
    text: str, *, mentions: Mapping[tuple[str, str | None], str] | None = None,
    tag_base: str | None = None,
) -> str:
    """A member's plain text as post HTML: escaped, a ``<p>`` per paragraph
    (split at blank lines), ``<br>`` at single newlines, and http(s) URLs
    linked with ``rel="nofollow noopener noreferrer"``.

    Mentions and hashtags are linked as Mastodon links them: ``mentions``
    maps each mention the posting code resolved, as ``find_mentions`` reads
    it (``(username, host)``, ``host`` None for a bare ``@name``; matched
    without regard to case), to the http(s) page of the account; any other
    mention stays text. With ``tag_base`` (``https://host/tags``) every
    hashtag ``find_hashtags`` would find links to ``tag_base/name``, the
    name case-folded. Only this module writes markup: a name or an address
    cannot add any."""
    links = _Links(
        {(user.lower(), host.lower() if host else None): href
         for (user, host), href in (mentions or {}).items() if _SAFE_LINK.match(href)},
        tag_base.rstrip("/") if tag_base and _SAFE_LINK.match(tag_base) else None)
    text = _scrub(text).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (part.strip() for part in _BLANK_LINE.split(text))
    return "".join(f"<p>{_paragraph(part, links)}</p>" for part in paragraphs if part)


def find_mentions(text: str) -> list[tuple[str, str | None]]:
    """``(username, host)`` for each ``@user@host`` in ``text`` and
    ``(username, None)`` for each bare ``@user``, as written, first spelling
    kept, at most ``MAX_MENTIONS``. Email addresses and URLs are not
    mentions."""
    found: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    for match in _MENTION.finditer(_without_urls(text)):
        user, host = match[1], match[2]
        found.setdefault((user.lower(), host.lower() if host else None), (user, host))
        if len(found) >= MAX_MENTIONS:
            break
    return list(found.values())


def find_hashtags(text: str) -> list[str]:
    """The hashtags in ``text`` without their ``#``: Unicode letters, digits
    and underscores with at least one letter (``#1`` is a number), never
    inside a URL or a word (``C#``); first spelling kept, at most
    ``MAX_HASHTAGS``."""
    found: dict[str, str] = {}
    for match in _HASHTAG.finditer(_without_urls(text)):
        if any(char.isalpha() for char in match[1]):
            found.setdefault(match[1].casefold(), match[1])
            if len(found) >= MAX_HASHTAGS:
                break
    return list(found.values())


def _paragraph(text: str, links: _Links) -> str:
    return "<br>".join(_linked(line.strip(), links) for line in text.split("\n"))


def _linked(line: str, links: _Links) -> str:
    """The line with its URLs linked, and the mentions and hashtags between
    them (never inside one: ``find_mentions`` and ``find_hashtags`` skip
    URLs the same way)."""
    out: list[str] = []
    done = 0
    for match in _URL.finditer(line):
        out.append(_words_linked(line[done : match.start()], links))
        url = _trim_url(match[0])
        if _has_host(url):
            shown = _escape_text(url)  # the URL has no '"': _URL stops there
            out.append(f'<a href="{shown}" rel="{LINK_REL}">{shown}</a>')
            out.append(_escape_text(match[0][len(url) :]))
        else:
            out.append(_escape_text(match[0]))
        done = match.end()
    out.append(_words_linked(line[done:], links))
    return "".join(out)


def _words_linked(text: str, links: _Links) -> str:
    """Text without URLs, escaped, with its resolved mentions and its
    hashtags linked."""
    if not links.mentions and links.tag_base is None:
        return _escape_text(text)
    found = [(m, _mention_link(m, links)) for m in _MENTION.finditer(text)]
    found += [(m, _hashtag_link(m, links)) for m in _HASHTAG.finditer(text)]
    out: list[str] = []
    done = 0
    for match, link in sorted(found, key=lambda item: item[0].start()):
        if link is None or match.start() < done:
            continue
        out += [_escape_text(text[done : match.start()]), link]
        done = match.end()
    out.append(_escape_text(text[done:]))
    return "".join(out)


def _mention_link(match: re.Match[str], links: _Links) -> str | None:
    user, host = match[1], match[2]
    href = links.mentions.get((user.lower(), host.lower() if host else None))
    if href is None:
        return None
    # The mention as written, host and all, so that the text read back from
    # the HTML (editing) names the same account.
    shown = _escape_text(match[0][1:])
    return (f'<span class="h-card" translate="no"><a href="{escape(href)}" '
            f'class="u-url mention">@<span>{shown}</span></a></span>')


def _hashtag_link(match: re.Match[str], links: _Links) -> str | None:
    name = match[1]
    if links.tag_base is None or not any(char.isalpha() for char in name):
        return None
    href = f"{links.tag_base}/{quote(name.casefold())}"
    return (f'<a href="{escape(href)}" class="mention hashtag" rel="tag">'
            f"#<span>{_escape_text(name)}</span></a>")


def _escape_text(text: str) -> str:
    """Escaped as nh3 writes text, so that sanitising the result changes nothing."""
    return escape(text, quote=False).replace("\xa0", "&nbsp;")


def _trim_url(url: str) -> str:
    """Without the punctuation that follows it in a sentence; a closing
    bracket stays when the URL opened one (Wikipedia's ``Foo_(bar)``).
    One pass from the end: linear however much punctuation there is."""
    unmatched = {close: url.count(close) - url.count(open_) for open_, close in _BRACKETS}
    end = len(url)
    while end:
        last = url[end - 1]
        if unmatched.get(last, 0) > 0:
            unmatched[last] -= 1
        elif last not in _URL_TAIL:
            break
        end -= 1
    return url[:end]


def _has_host(url: str) -> bool:
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:  # "http://[::1" and the like
        return False


def _without_urls(text: str) -> str:
    return _URL.sub(" ", text)
