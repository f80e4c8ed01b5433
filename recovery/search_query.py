"""What a post search asks for, read from its text the way Mastodon reads
it (docs.joinmastodon.org/user/network/#search): words and "quoted
phrases" the post must hold, ``-word`` ones it must not, and operators:
``from:`` (me, a name here, @name@host), ``has:`` (media, image, video,
audio, poll), ``is:`` (reply, sensitive), ``language:``, ``before:`` /
``after:`` / ``during:`` (days, UTC) and ``in:`` (library, all, public).
An operator written ``-has:media`` excludes. A word with a colon that is no
operator stays a word, as on Mastodon; a property Hearth does not know
(``has:link``) matches nothing rather than everything."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from recovery.errors import InvalidInput
from recovery.models import Party

WORDS_MAX = 5
WORD_MAX = 100
OPERATORS_MAX = 10
OPERATORS = ("from", "has", "is", "language", "before", "after", "during", "in")
_TOKEN = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PostQuery:
    """A parsed search. ``properties`` maps has:/is: values (``media``,
    ``reply``...) to True (must hold) or False (must not); ``authors`` are
    the from: values, ``not_authors`` the -from: ones, unresolved."""

    words: tuple[str, ...] = ()
    without: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    not_authors: tuple[str, ...] = ()
    properties: dict[str, bool] = field(default_factory=dict)
    languages: tuple[str, ...] = ()
    not_languages: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    library: bool = False

    @property
    def narrows(self) -> bool:
        """Whether anything at all is asked for (an empty query finds nothing)."""
        return bool(self.words or self.without or self.authors or self.not_authors
                    or self.properties or self.languages or self.not_languages
                    or self.since or self.until or self.library)


@dataclass(frozen=True, slots=True)
class PostSearch:
    """A parsed search with its accounts found: what the store is asked."""

    words: tuple[str, ...] = ()
    without: tuple[str, ...] = ()
    author: Party | None = None
    not_member_ids: tuple[int, ...] = ()
    not_remote_ids: tuple[int, ...] = ()
    required: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    not_languages: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    library: bool = False


def parse(text: str) -> PostQuery:
    """The search ``text`` read into words and operators; InvalidInput for
    an operator whose value cannot be read (a date that is not a date)."""
    query, operators = PostQuery(), 0
    for match in _TOKEN.finditer(text):
        negated, phrase, bare = match.group(1) == "-", match.group(2), match.group(3)
        prefix, colon, value = (bare or "").partition(":")
        if phrase is None and colon and value and prefix.lower() in OPERATORS:
            operators += 1
            if operators > OPERATORS_MAX:
                raise InvalidInput("q", f"Use at most {OPERATORS_MAX} search operators.")
            query = _operator(query, prefix.lower(), value, negated)
        else:
            query = _word(query, (phrase if phrase is not None else bare or "").strip(), negated)
    return query


def _word(query: PostQuery, word: str, negated: bool) -> PostQuery:
    if not word or len(query.words) + len(query.without) >= WORDS_MAX:
        return query
    if negated:
        return replace(query, without=(*query.without, word[:WORD_MAX]))
    return replace(query, words=(*query.words, word[:WORD_MAX]))


def _operator(query: PostQuery, name: str, value: str, negated: bool) -> PostQuery:
    if name == "from":
        author = value.removeprefix("@")
        if negated:
            return replace(query, not_authors=(*query.not_authors, author))
        return replace(query, authors=(*query.authors, author))
    if name in ("has", "is"):
        return replace(query, properties={**query.properties, value.lower(): not negated})
    if name == "language":
        language = value.lower().replace("_", "-").partition("-")[0]  # pt-BR is pt
        if not _LANGUAGE.fullmatch(language):
            raise InvalidInput("q", "language: takes a language code, e.g. language:en.")
        if negated:
            return replace(query, not_languages=(*query.not_languages, language))
        return replace(query, languages=(*query.languages, language))
    if name == "in":
        return replace(query, library=query.library or value.lower() == "library")
    return _dated(query, name, _day(name, value))


def _day(name: str, value: str) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("q", f"{name}: takes a day written YYYY-MM-DD, "
                                f"e.g. {name}:2024-05-01.") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _dated(query: PostQuery, name: str, start: datetime) -> PostQuery:
    """before:D ends before day D, after:D starts the day after (both leave
    the day out, as Mastodon does), during:D is day D; several narrow."""
    since, until = query.since, query.until
    if name in ("after", "during"):
        begins = start + _DAY if name == "after" else start
        since = begins if since is None else max(since, begins)
    if name in ("before", "during"):
        ends = start if name == "before" else start + _DAY
        until = ends if until is None else min(until, ends)
    return replace(query, since=since, until=until)
