"""ActivityStreams <-> plain data: real payloads from Mastodon, Lemmy, Pleroma,
Mobilizon, PeerTube and Friendica, and payloads written from GoToSocial's and
Misskey's documentation and source (tests/data/payloads/<origin>/...)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from federation import vocab
from federation.activities import (
    MAX_DEPTH,
    Activity,
    _host_of,
    needs_refetch,
    origin_ok,
    parse_activity,
    parse_document,
    visibility_of,
)
from federation.actors import Actor, parse_actor, person_to_as2
from federation.convert import MAX_RECIPIENTS, Collection, parse_collection
from federation.errors import InvalidDocument
from federation.objects import (
    MAX_TAGS,
    Attachment,
    Hashtag,
    Label,
    Mention,
    Milestone,
    Post,
    note_to_as2,
    parse_object,
)

PAYLOADS = Path(__file__).parent / "data" / "payloads"
ALL_PAYLOADS = sorted(PAYLOADS.rglob("*.json"))
ORIGINS = {
    "mastodon", "lemmy", "pleroma", "mobilizon", "peertube", "friendica", "gotosocial", "misskey"
}  # fmt: skip


def load(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def activity(name: str) -> Activity:
    return parse_activity(load(name))


def post(name: str) -> Post:
    return parse_object(load(name))


# -- every payload ------------------------------------------------------------------


def test_payloads_cover_every_origin():
    assert {path.relative_to(PAYLOADS).parts[0] for path in ALL_PAYLOADS} == ORIGINS


@pytest.mark.parametrize(
    "path", ALL_PAYLOADS, ids=[str(p.relative_to(PAYLOADS)) for p in ALL_PAYLOADS]
)
def test_every_payload_parses(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    parsed = parse_document(doc)
    assert parsed.id == doc["id"]
    assert parsed.type == doc["type"]
    expected = {
        "activities": (Activity, Post),  # Mastodon's private_message.json is a bare Note
        "objects": (Post, Actor),
        "collections": (Collection,),
    }[path.relative_to(PAYLOADS).parts[1]]
    assert isinstance(parsed, expected)


def test_payloads_written_from_documentation_say_where_their_shape_comes_from():
    for path in ALL_PAYLOADS:
        origin = path.relative_to(PAYLOADS).parts[0]
        doc = json.loads(path.read_text(encoding="utf-8"))
        if origin in {"gotosocial", "misskey"}:
            assert doc.get("_comment"), path


# -- spot checks per origin ------------------------------------------------------------


def test_mastodon_note_takes_content_over_content_map_and_reads_mentions():
    note = post("mastodon/objects/note_1.json")
    assert note.content_html is not None and note.content_html.startswith("<p><span class")
    assert note.mentions == (Mention("https://mamot.fr/users/retiolus", "@retiolus@mamot.fr"),)
    assert note.in_reply_to == "https://mamot.fr/users/retiolus/statuses/107224244380204526"
    assert note.published == datetime(2021, 11, 5, 11, 46, 50, tzinfo=UTC)
    assert note.context == "tag:mamot.fr,2021-11-05:objectId=64635960:objectType=Conversation"
    assert note.url == "https://mastodon.madrid/@felix/107224289116410645"
    assert note.summary is None and note.sensitive is False


def test_content_map_is_used_when_content_is_missing():
    doc = load("mastodon/objects/note_1.json")
    del doc["content"]
    assert parse_object(doc).content_html == doc["contentMap"]["en"]


def test_the_language_comes_from_the_content_map_keys():
    assert post("mastodon/objects/note_1.json").language == "en"
    doc = load("mastodon/objects/note_1.json")
    doc["contentMap"] = {"und": "<p>?</p>", "pt-BR": "<p>oi</p>"}
    assert parse_object(doc).language == "pt-BR"
    for odd in ({"und": "x"}, {"not a tag": "x"}, ["en"], None):
        doc["contentMap"] = odd
        assert parse_object(doc).language is None


def test_mastodon_attachment_keeps_alt_text_and_media_type():
    (image,) = post("mastodon/objects/note_2.json").attachments
    assert image.type == "Document" and image.media_type == "image/jpeg"
    assert image.url.endswith("c8d906a2f2ab2334.jpg")
    assert image.name is not None and image.name.startswith("The KDE dragons")


def test_mastodon_flag_lists_the_account_then_the_posts():
    flag = activity("mastodon/activities/flag.json")
    assert flag.content == "Please take a look at this user and their posts"
    assert flag.object_id == "https://example.com/users/1"
    assert flag.object_ids[1:] == (
        "https://example.com/posts/380590",
        "https://example.com/posts/380591",
    )
    assert flag.to == ("https://example.com/users/1",)  # sent as a string


def test_mastodon_person():
    actor = parse_actor(load("mastodon/objects/person.json"))
    assert actor.preferred_username == "mastodon"
    assert actor.shared_inbox == "https://masto.qa.urbanwildlife.biz/inbox"
    assert actor.public_key_id == "https://masto.qa.urbanwildlife.biz/users/mastodon#main-key"
    assert actor.public_key_pem is not None and "BEGIN PUBLIC KEY" in actor.public_key_pem
    assert (
        actor.featured == "https://masto.qa.urbanwildlife.biz/users/mastodon/collections/featured"
    )
    assert actor.icon_url is not None and actor.icon_url.endswith("2cf61ff96e94cb1d.png")
    assert actor.summary is None and actor.manually_approves_followers is False


def test_lemmy_page_keeps_its_title_audience_and_link():
    page = post("lemmy/objects/page.json")
    assert page.type == "Page" and page.name == "Post title"
    assert page.audience == "https://enterprise.lemmy.ml/c/tenforward"
    assert page.context == "https://enterprise.lemmy.ml/post/55143/context"
    assert page.media_type == "text/html"
    assert page.attachments == (
        Attachment("https://enterprise.lemmy.ml/pictrs/image/eOtYb9iEiB.png", "Link"),
    )
    # CommunityPostTag is not a tag Hearth knows: skipped, not an error.
    assert page.mentions == (
        Mention("https://enterprise.lemmy.ml/c/tenforward", "@tenforward@enterprise.lemmy.ml"),
    )
    assert visibility_of(page, None) == "public"


def test_lemmy_group_announces_a_whole_create():
    announce = activity("lemmy/activities/community/announce_create_page.json")
    assert announce.actor == "http://enterprise.lemmy.ml/c/main"
    assert announce.raw_type_of_object == "Create"
    create = announce.object
    assert (
        isinstance(create, Activity) and create.actor == "http://enterprise.lemmy.ml/u/lemmy_beta"
    )
    page = create.object
    assert isinstance(page, Post) and page.name == "post 4"
    assert page.audience == "http://enterprise.lemmy.ml/u/main"
    assert origin_ok(announce) and not needs_refetch(announce)


def test_lemmy_community_is_a_group_actor():
    group = parse_actor(load("lemmy/objects/group.json"))
    assert group.type == "Group" and group.name == "Ten Forward"
    assert group.followers == "https://enterprise.lemmy.ml/c/tenforward/followers"
    assert group.icon_url == "https://enterprise.lemmy.ml/pictrs/image/waqyZwLAy4.webp"


def test_lemmy_moderation_activities_keep_their_unknown_type_and_reason():
    lock = activity("lemmy/activities/community/lock_page.json")
    assert lock.type == "Lock" and lock.summary == "A reason for the lock"
    assert lock.object_id == "http://lemmy-alpha:8541/post/2"
    resolve = activity("lemmy/activities/community/resolve_report_page.json")
    assert resolve.type == "Resolve" and isinstance(resolve.object, Activity)
    assert resolve.object.type == "Flag" and resolve.object.summary == "report this post"


def test_mobilizon_event_has_its_times_and_place():
    event = post("mobilizon/objects/event.json")
    assert event.type == "Event" and event.name == "Caledonian scottish dance class"
    assert event.start_time == datetime(2022, 12, 11, 19, 0, tzinfo=UTC)
    assert event.end_time == datetime(2022, 12, 11, 21, 0, tzinfo=UTC)
    assert event.location_name == "The Kenn Centre"
    assert [tag.name for tag in event.hashtags] == ["Dance", "Caledonian", "Lesson"]
    assert event.attributed_to == "https://rendezvous.nomagic.uk/@devon_caledonian_society"


def test_peertube_video_takes_the_person_from_an_attributed_to_list():
    video = post("peertube/objects/video.json")
    assert video.attributed_to == "https://tilvids.com/accounts/thelinuxexperiment"
    # url is a list of Links: the text/html one is the page to link to.
    assert video.url == "https://tilvids.com/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1"
    assert video.media_type == "text/markdown"  # content is not HTML


def test_peertube_actor_icon_is_the_widest_of_the_list():
    actor = parse_actor(load("peertube/objects/person.json"))
    assert actor.icon_url is not None and "bdaa7218" in actor.icon_url  # the 120 px one


def test_friendica_create_keeps_content_context_and_article_title():
    create = activity("friendica/activities/create_note.json")
    note = create.object
    assert isinstance(note, Post)
    assert note.content_html is not None and note.content_html.endswith("</span> test")
    assert note.context == "https://lemmy.schuerz.at/post/25360#context"
    assert note.summary is None  # sent as ""
    article = activity("friendica/activities/create_page_2.json").object
    assert isinstance(article, Post) and article.type == "Article"
    assert article.name == "From Friendica to Lemmy" and article.content_html == "Hello Lemmy!"


def test_attributed_to_as_a_list_of_ids_or_objects():
    doc = load("friendica/objects/note_1.json")
    doc["attributedTo"] = [
        {"type": "Group", "id": "https://lemmy.schuerz.at/c/test"},
        "https://soc.schuerz.at/profile/jakob",
    ]
    assert parse_object(doc).attributed_to == "https://soc.schuerz.at/profile/jakob"
    doc["attributedTo"] = [
        {"type": "Group", "id": "https://lemmy.schuerz.at/c/test"},
        {"type": "Person", "id": "https://soc.schuerz.at/profile/jakob"},
    ]
    assert parse_object(doc).attributed_to == "https://soc.schuerz.at/profile/jakob"
    doc["attributedTo"] = {"type": "Person", "id": "https://soc.schuerz.at/profile/jakob"}
    assert parse_object(doc).attributed_to == "https://soc.schuerz.at/profile/jakob"


def test_friendica_organization_is_an_actor():
    actor = parse_actor(load("friendica/objects/person_2.json"))
    assert actor.type == "Organization" and actor.shared_inbox == "https://poliverso.org/inbox"


def test_pleroma_announce():
    repeat = activity("pleroma/activities/announce_note.json")
    assert repeat.type == "Announce" and repeat.object is None
    assert (
        repeat.object_id
        == "https://queer.hacktivis.me/objects/8d4973f4-53de-49cd-8c27-df160e16a9c2"
    )
    assert vocab.PUBLIC in repeat.to and repeat.cc == ()
    assert visibility_of(repeat, "https://greenish.red/users/nutomic/followers") == "public"
    assert origin_ok(repeat)


def test_pleroma_note_with_null_sensitive_and_microsecond_dates():
    note = post("pleroma/objects/note.json")
    assert note.sensitive is False
    assert note.published == datetime(2021, 10, 7, 18, 6, 52, 555500, tzinfo=UTC)
    # to: a mentioned user and the followers; cc: Public.
    assert visibility_of(note, "https://queer.hacktivis.me/users/lanodan/followers") == "unlisted"


def test_pleroma_chat_message_and_emoji_react_keep_their_types():
    chat = post("pleroma/objects/chat_message.json")
    assert chat.type == "ChatMessage" and visibility_of(chat, None) == "direct"
    react = activity("pleroma/activities/emoji_react.json")
    assert react.type == "EmojiReact" and react.content == "🌱"


def test_gotosocial_note_with_single_string_addressing_and_single_tag():
    note = post("gotosocial/objects/note.json")
    assert note.to == (vocab.PUBLIC,)
    assert note.cc == ("https://gts.example/users/i_p_freely/followers",)
    assert note.hashtags == (Hashtag("welcome", "https://gts.example/tags/welcome"),)


def test_gotosocial_poll_votes_are_a_list_of_objects():
    votes = activity("gotosocial/activities/create_poll_votes.json")
    assert len(votes.object_ids) == 2
    vote = votes.object
    assert isinstance(vote, Post) and vote.name == "tissues" and vote.content_html is None
    assert votes.published == datetime(2021, 9, 11, 9, 45, 37, tzinfo=UTC)
    assert origin_ok(votes)


def test_gotosocial_question_reads_as_a_note_with_options():
    poll = post("gotosocial/objects/question.json")
    assert [(o.name, o.votes) for o in poll.options] == [("tissues", 3), ("financial times", 7)]
    assert poll.multiple_choice is False
    assert poll.end_time == datetime(2023, 1, 1, 20, 4, 45, tzinfo=UTC)
    assert poll.content_html == "<p>what do you use to read the news?</p>"


def test_gotosocial_flag_without_to_and_locked_person():
    flag = activity("gotosocial/activities/flag.json")
    assert flag.to == () and len(flag.object_ids) == 2
    actor = parse_actor(load("gotosocial/objects/person.json"))
    assert actor.manually_approves_followers is True and actor.shared_inbox is None


def test_misskey_note_with_quote_emoji_and_local_mention():
    note = post("misskey/objects/note.json")
    assert note.quote == "https://mastodon.example/users/kiri/statuses/111"
    assert note.mentions == (Mention("https://misskey.example/users/9c7b4j2y1b", "@ayame"),)
    (emoji,) = note.emojis
    assert (
        emoji.name == ":blobcat:" and emoji.icon_url == "https://misskey.example/files/blobcat.png"
    )
    assert note.attachments[0].name is None
    assert note.in_reply_to is None


def test_misskey_empty_content_warning_is_sensitive_without_a_summary():
    note = post("misskey/objects/note_home_cw.json")
    assert note.summary is None and note.sensitive is True
    followers = "https://misskey.example/users/9c7b4i1x0a/followers"
    assert visibility_of(note, followers) == "unlisted"


def test_misskey_question_with_any_of_is_multiple_choice():
    poll = post("misskey/objects/question.json")
    assert poll.multiple_choice is True and len(poll.options) == 3


def test_misskey_reaction_person_and_delete():
    like = activity("misskey/activities/like_reaction.json")
    assert like.type == "Like" and like.content == ":blobcat:"
    actor = parse_actor(load("misskey/objects/person.json"))
    assert actor.shared_inbox == "https://misskey.example/inbox" and actor.summary is None
    delete = activity("misskey/activities/delete_note.json")
    assert delete.raw_type_of_object == "Tombstone" and origin_ok(delete)


def test_collections_list_item_ids():
    featured = parse_collection(load("mastodon/collections/featured.json"))
    assert featured.total_items == 1
    assert featured.items == ("https://mastodon.social/users/LemmyDev/statuses/104246642906910728",)
    moderators = parse_collection(load("lemmy/collections/group_moderators.json"))
    assert moderators.items == ("https://enterprise.lemmy.ml/u/picard",)


# -- tolerated shapes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://a.example/p/1", "https://a.example/p/1"),
        ({"type": "Link", "href": "https://a.example/p/1"}, "https://a.example/p/1"),
        (
            [
                {"type": "Link", "mediaType": "video/mp4", "href": "https://a.example/v.mp4"},
                {"type": "Link", "mediaType": "text/html", "href": "https://a.example/p/1"},
            ],
            "https://a.example/p/1",
        ),
        (["https://a.example/p/1", "https://a.example/p/2"], "https://a.example/p/1"),
        ("javascript:alert(1)", None),
        ({"type": "Link", "href": "data:text/html,hi"}, None),
        (None, None),
    ],
)
def test_url_as_string_link_or_list(value, expected):
    doc = {"id": "https://a.example/n/1", "type": "Note", "url": value}
    assert parse_object(doc).url == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://a.example/n/0", "https://a.example/n/0"),
        ({"id": "https://a.example/n/0", "type": "Note"}, "https://a.example/n/0"),
        (None, None),
        ([], None),
    ],
)
def test_in_reply_to_as_string_object_or_null(value, expected):
    doc = {"id": "https://a.example/n/1", "type": "Note", "inReplyTo": value}
    assert parse_object(doc).in_reply_to == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T12:00:00+02:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T10:00:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),  # no offset: UTC
        ("2024-03-01T10:00:00.123456789Z", datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (1709287200, None),
        (None, None),
    ],
)
def test_published_is_aware_or_none(value, expected):
    doc = {"id": "https://a.example/n/1", "type": "Note", "published": value}
    published = parse_object(doc).published
    assert published == expected
    assert published is None or published.tzinfo is not None


def test_context_falls_back_to_conversation_and_accepts_an_object():
    doc: dict[str, Any] = {"id": "https://a.example/n/1", "type": "Note", "conversation": "tag:x"}
    assert parse_object(doc).context == "tag:x"
    doc["context"] = {"id": "https://a.example/threads/1", "type": "Collection"}
    assert parse_object(doc).context == "https://a.example/threads/1"


def test_recipients_missing_string_list_and_public_aliases():
    base = {"id": "https://a.example/n/1", "type": "Note"}
    assert parse_object(base).to == () and parse_object(base).cc == ()
    note = parse_object({**base, "to": "as:Public", "cc": ["Public", "https://a.example/u/f"]})
    assert note.to == (vocab.PUBLIC,) and note.cc == (vocab.PUBLIC, "https://a.example/u/f")


def test_recipients_that_are_objects_or_junk_do_not_break_parsing():
    doc = {
        "id": "https://a.example/n/1",
        "type": "Note",
        "to": [{"id": "https://a.example/u/1", "type": "Person"}, {"x": 1}, 7, None, ["nested"]],
        "cc": {"id": vocab.PUBLIC},
    }
    note = parse_object(doc)
    assert note.to == ("https://a.example/u/1",) and note.cc == (vocab.PUBLIC,)


def test_ids_that_no_index_could_hold_are_refused():
    long_id = "https://a.example/" + "x" * 3000
    with pytest.raises(InvalidDocument, match="longer than 2048"):
        parse_object({"id": long_id, "type": "Note"})
    with pytest.raises(InvalidDocument, match="not an http"):
        parse_object({"id": "https://a.example/n/1 https://b.example", "type": "Note"})
    note = parse_object({"id": "https://a.example/n/1", "type": "Note", "inReplyTo": long_id})
    assert note.in_reply_to is None


def test_a_thread_context_may_be_any_iri_but_not_junk():
    base = {"id": "https://a.example/n/1", "type": "Note"}
    assert parse_object({**base, "context": "tag:a.example,2024:thread-1"}).context is not None
    assert parse_object({**base, "context": "not an iri"}).context is None
    assert parse_object({**base, "context": 42}).context is None


# -- visibility ------------------------------------------------------------------------

FOLLOWERS = "https://a.example/users/alice/followers"


@pytest.mark.parametrize(
    ("to", "cc", "expected"),
    [
        ([vocab.PUBLIC], [FOLLOWERS], "public"),
        ("as:Public", None, "public"),
        (["Public"], [], "public"),
        ([FOLLOWERS], [vocab.PUBLIC], "unlisted"),
        ([FOLLOWERS], "as:Public", "unlisted"),
        ([FOLLOWERS], ["https://b.example/users/bob"], "followers"),
        (["https://b.example/users/bob"], [FOLLOWERS], "followers"),
        (["https://b.example/users/bob"], [], "direct"),
        (None, None, "direct"),
        ([FOLLOWERS.replace("alice", "mallory")], [], "direct"),
    ],
)
def test_visibility_of_each_addressing_form(to, cc, expected):
    doc = {"id": "https://a.example/n/1", "type": "Note", "to": to, "cc": cc}
    assert visibility_of(parse_object(doc), FOLLOWERS) == expected
    create = {
        **doc,
        "id": "https://a.example/a/1",
        "type": "Create",
        "actor": "https://a.example/users/alice",
        "object": copy.deepcopy(doc),
    }
    assert visibility_of(parse_activity(create), FOLLOWERS) == expected


def test_visibility_without_a_known_followers_collection_is_direct():
    note = post("mastodon/objects/note_1.json")  # to: followers, cc: Public
    assert visibility_of(note, None) == "unlisted"
    private = parse_object({"id": "https://a.example/n/1", "type": "Note", "to": [FOLLOWERS]})
    assert visibility_of(private, None) == "direct"


# -- caps (RELIABILITY 37) ---------------------------------------------------------------------


def test_ten_thousand_tags_are_capped_and_reported():
    tags = [{"type": "Mention", "href": f"https://a.example/u/{n}"} for n in range(10_000)]
    note = parse_object({"id": "https://a.example/n/1", "type": "Note", "tag": tags})
    assert len(note.mentions) == MAX_TAGS == 100
    assert "tag" in note.truncated


def test_ten_thousand_recipients_are_capped_and_reported():
    many = [f"https://a.example/u/{n}" for n in range(10_000)]
    doc = {
        "id": "https://a.example/a/1",
        "type": "Create",
        "actor": "https://a.example/u/0",
        "to": many,
        "cc": many,
        "object": {"id": "https://a.example/n/1", "type": "Note", "to": many, "cc": [vocab.PUBLIC]},
    }
    create = parse_activity(doc)
    assert len(create.to) + len(create.cc) == MAX_RECIPIENTS == 1000
    assert create.truncated == ("to/cc",)
    note = create.object
    assert isinstance(note, Post) and len(note.to) == 1000 and note.cc == ()
    assert note.truncated == ("to/cc",)


def test_small_documents_are_not_marked_truncated():
    assert post("mastodon/objects/note_2.json").truncated == ()


# -- origin (RELIABILITY 17, 19, 20, 22) -----------------------------------------------------


def create(actor: str, object_id: str, attributed_to: str | None = None, **extra: Any) -> Activity:
    note: dict[str, Any] = {"id": object_id, "type": "Note", "content": "hi"}
    if attributed_to:
        note["attributedTo"] = attributed_to
    return parse_activity(
        {"id": f"{actor}/activities/1", "type": "Create", "actor": actor, "object": note, **extra}
    )


ALICE = "https://a.example/users/alice"


def test_create_from_the_objects_host_is_accepted():
    assert origin_ok(create(ALICE, "https://a.example/notes/1", ALICE))


def test_object_on_another_host_than_the_actor_is_rejected():
    assert not origin_ok(create(ALICE, "https://b.example/notes/1", ALICE))


def test_attributed_to_on_another_host_than_the_actor_is_rejected():
    assert not origin_ok(create(ALICE, "https://a.example/notes/1", "https://b.example/users/bob"))


def test_activity_id_on_another_host_than_the_actor_is_rejected():
    doc = {
        "id": "https://b.example/a/1",
        "type": "Like",
        "actor": ALICE,
        "object": "https://c.example/n/1",
    }
    assert not origin_ok(parse_activity(doc))


@pytest.mark.parametrize(
    "variant",
    [
        "https://A.EXAMPLE/users/alice",
        "https://a.example./users/alice",
        "https://a.example:443/users/alice",
        "HTTPS://a.Example.:443/users/alice",
    ],
)
def test_host_variants_are_the_same_origin(variant):
    assert origin_ok(create(variant, "https://a.example/notes/1", ALICE))


def test_punycode_and_unicode_hosts_are_the_same_origin():
    assert _host_of("https://bücher.example/u/1") == _host_of("https://xn--bcher-kva.example/u/1")
    assert origin_ok(create("https://BÜCHER.example./u/1", "https://xn--bcher-kva.example/n/1"))


@pytest.mark.parametrize(
    "other",
    [
        "http://a.example/notes/1",  # another scheme
        "https://a.example:8443/notes/1",  # another port
        "https://evil.a.example/notes/1",  # a subdomain
        "https://a.example.evil/notes/1",
    ],
)
def test_other_schemes_ports_and_subdomains_are_other_origins(other):
    assert not origin_ok(create(ALICE, other))


def test_host_of_refuses_what_is_no_http_origin():
    for url in [
        "javascript:alert(1)",
        "mailto:a@a.example",
        "https://",
        "https://a..example/",
        "https://a.example:99999/",
        "",
        None,
    ]:
        assert _host_of(url) is None, url
    assert _host_of("http://[::1]:8080/x") == "http://[::1]:8080"


def test_delete_of_another_hosts_object_is_rejected():
    doc = {
        "id": "https://a.example/d/1",
        "type": "Delete",
        "actor": ALICE,
        "object": "https://b.example/n/1",
    }
    assert not origin_ok(parse_activity(doc))
    # Lemmy's removal by a moderator on another instance is not the origin either.
    assert not origin_ok(activity("lemmy/activities/deletion/remove_note.json"))


def test_undo_of_another_actors_activity_is_rejected():
    doc = load("mastodon/activities/undo_like_page.json")
    assert origin_ok(parse_activity(doc))
    doc["object"]["actor"] = "https://mastodon.madrid/users/someone_else"
    assert not origin_ok(parse_activity(doc))


def test_update_of_a_community_by_a_moderator_elsewhere_is_not_from_its_origin():
    assert not origin_ok(activity("lemmy/activities/community/update_community.json"))


def test_add_to_another_hosts_collection_is_rejected():
    doc = {
        "id": "https://a.example/add/1",
        "type": "Add",
        "actor": ALICE,
        "object": "https://a.example/n/1",
        "target": "https://b.example/users/bob/collections/featured",
    }
    assert not origin_ok(parse_activity(doc))


def test_announce_of_a_third_hosts_object_passes_origin_but_must_be_refetched():
    announce = parse_activity(
        {
            "id": "https://group.example/announce/1",
            "type": "Announce",
            "actor": "https://group.example/c/main",
            "object": {
                "id": "https://third.example/notes/1",
                "type": "Note",
                "attributedTo": "https://third.example/users/carol",
            },
        }
    )
    assert origin_ok(announce)
    assert needs_refetch(announce)


def test_real_creates_pass_the_origin_check():
    for path in ALL_PAYLOADS:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("type") in {"Create", "Update"} and "update_community" not in path.name:
            assert origin_ok(parse_activity(doc)), path


# -- Hearth -> AS2 --------------------------------------------------------------------------


def test_note_round_trips():
    published = datetime(2025, 5, 1, 20, 30, 15, 123000, tzinfo=timezone(timedelta(hours=2)))
    doc = note_to_as2(
        id="https://hearth.example/posts/1",
        attributed_to="https://hearth.example/users/sam",
        content_html="<p>One day at a time</p>",
        to=[vocab.PUBLIC],
        cc=["https://hearth.example/users/sam/followers", "https://hearth.example/groups/evenings"],
        published=published,
        updated=published + timedelta(hours=1),
        kind="Article",
        name="Evenings",
        summary="Cravings",
        sensitive=True,
        in_reply_to="https://other.example/notes/9",
        context="https://hearth.example/threads/4",
        audience="https://hearth.example/groups/evenings",
        url="https://hearth.example/@sam/1",
        language="en",
        mentions=[Mention("https://other.example/users/kim", "@kim@other.example")],
        hashtags=[Hashtag("recovery", "https://hearth.example/tags/recovery")],
        attachments=[
            Attachment("https://hearth.example/media/1.png", "Image", "image/png", "a lake")
        ],
    )
    assert doc["@context"] == vocab.CONTEXT and doc["@context"] is not vocab.CONTEXT
    assert doc["published"] == "2025-05-01T18:30:15.123000Z"
    back = parse_object(json.loads(json.dumps(doc)))
    assert back == Post(
        id="https://hearth.example/posts/1",
        type="Article",
        attributed_to="https://hearth.example/users/sam",
        content_html="<p>One day at a time</p>",
        summary="Cravings",
        sensitive=True,
        in_reply_to="https://other.example/notes/9",
        context="https://hearth.example/threads/4",
        audience="https://hearth.example/groups/evenings",
        to=(vocab.PUBLIC,),
        cc=("https://hearth.example/users/sam/followers", "https://hearth.example/groups/evenings"),
        published=published,
        updated=published + timedelta(hours=1),
        url="https://hearth.example/@sam/1",
        name="Evenings",
        mentions=(Mention("https://other.example/users/kim", "@kim@other.example"),),
        hashtags=(Hashtag("recovery", "https://hearth.example/tags/recovery"),),
        attachments=(
            Attachment("https://hearth.example/media/1.png", "Image", "image/png", "a lake"),
        ),
        language="en",
    )
    assert visibility_of(back, "https://hearth.example/users/sam/followers") == "public"


def test_labels_ride_in_tag_with_mastodons_content_warning_as_fallback():
    relapse = Label("Relapse", "https://hearth.example/labels/relapse")
    doc = note_to_as2(
        id="https://hearth.example/posts/2",
        attributed_to="https://hearth.example/users/sam",
        content_html="<p>I slipped last night.</p>",
        to=["https://hearth.example/users/sam/followers"],
        labels=[relapse, Label("Alcohol", "https://hearth.example/labels/alcohol")],
    )
    assert doc["summary"] == "Relapse, Alcohol" and doc["sensitive"] is True
    assert {"type": "Label", "href": relapse.href, "name": "Relapse"} in doc["tag"]
    back = parse_object(doc)
    assert back.labels[0] == relapse and back.sensitive
    assert visibility_of(back, "https://hearth.example/users/sam/followers") == "followers"


def test_a_given_summary_is_kept_beside_labels():
    doc = note_to_as2(
        id="https://hearth.example/posts/3",
        attributed_to="https://hearth.example/users/sam",
        content_html="<p>x</p>",
        to=[vocab.PUBLIC],
        summary="Talk of drinking",
        labels=[Label("Relapse", "https://hearth.example/labels/relapse")],
    )
    assert doc["summary"] == "Talk of drinking" and doc["sensitive"] is True


def test_milestone_is_a_plain_note_with_the_hearth_extension():
    doc = note_to_as2(
        id="https://hearth.example/posts/4",
        attributed_to="https://hearth.example/users/sam",
        content_html="<p>90 days today</p>",
        to=[vocab.PUBLIC],
        milestone=Milestone(90, "90 days"),
    )
    assert doc["type"] == "Note"
    assert doc["hearth:milestone"] == {"days": 90, "name": "90 days"}
    assert parse_object(json.loads(json.dumps(doc))).milestone == Milestone(90, "90 days")
    # Mastodon reads it as an ordinary note: nothing else about it is unusual.
    assert parse_object({k: v for k, v in doc.items() if k != "hearth:milestone"}).milestone is None


@pytest.mark.parametrize(
    "value",
    [
        {"days": "90", "name": "90 days"},
        {"days": True, "name": "1 day"},
        {"days": -1, "name": "?"},
        {"days": 90},
        "90 days",
        [],
    ],
)
def test_malformed_milestone_is_ignored(value):
    doc = {"id": "https://a.example/n/1", "type": "Note", "hearth:milestone": value}
    assert parse_object(doc).milestone is None


def test_milestone_under_its_full_iri_is_read_too():
    doc = {
        "id": "https://a.example/n/1",
        "type": "Note",
        vocab.HEARTH_NS + "milestone": {"days": 30, "name": "30 days"},
    }
    assert parse_object(doc).milestone == Milestone(30, "30 days")


def test_person_round_trips():
    doc = person_to_as2(
        id="https://hearth.example/users/sam",
        preferred_username="sam",
        inbox="https://hearth.example/users/sam/inbox",
        outbox="https://hearth.example/users/sam/outbox",
        followers="https://hearth.example/users/sam/followers",
        following="https://hearth.example/users/sam/following",
        public_key_pem="-----BEGIN PUBLIC KEY-----\nMII\n-----END PUBLIC KEY-----\n",
        name="Sam",
        summary="<p>one day at a time</p>",
        url="https://hearth.example/@sam",
        shared_inbox="https://hearth.example/inbox",
        featured="https://hearth.example/users/sam/collections/featured",
        manually_approves_followers=True,
        discoverable=False,
        icon_url="https://hearth.example/media/sam.png",
        icon_media_type="image/png",
        published=datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert doc["@context"] == vocab.CONTEXT
    assert doc["publicKey"]["id"] == "https://hearth.example/users/sam#main-key"
    assert parse_actor(json.loads(json.dumps(doc))) == Actor(
        id="https://hearth.example/users/sam",
        type="Person",
        preferred_username="sam",
        name="Sam",
        summary="<p>one day at a time</p>",
        inbox="https://hearth.example/users/sam/inbox",
        shared_inbox="https://hearth.example/inbox",
        outbox="https://hearth.example/users/sam/outbox",
        followers="https://hearth.example/users/sam/followers",
        following="https://hearth.example/users/sam/following",
        featured="https://hearth.example/users/sam/collections/featured",
        url="https://hearth.example/@sam",
        public_key_id="https://hearth.example/users/sam#main-key",
        public_key_pem="-----BEGIN PUBLIC KEY-----\nMII\n-----END PUBLIC KEY-----\n",
        manually_approves_followers=True,
        discoverable=False,
        icon_url="https://hearth.example/media/sam.png",
        published=datetime(2025, 1, 1, tzinfo=UTC),
    )


def test_context_names_what_hearth_sends():
    terms = vocab.CONTEXT[2]
    assert vocab.CONTEXT[:2] == [vocab.AS_CONTEXT, vocab.SECURITY_CONTEXT]
    assert terms["hearth"] == "https://hearth.community/ns#"
    assert terms["featured"] == {"@id": "toot:featured", "@type": "@id"}
    assert {"sensitive", "manuallyApprovesFollowers", "discoverable", "Hashtag", "toot"} <= set(
        terms
    )
    assert {"Label", "LabelDefinition"} <= set(terms)


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/activity+json", True),
        ("application/activity+json; charset=utf-8", True),
        ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', True),
        ("application/ld+json", True),
        ('application/ld+json; profile="https://example.com/other"', False),
        ("application/json", False),
        ("text/html", False),
    ],
)
def test_activitystreams_media_types(content_type, expected):
    assert vocab.is_activitystreams_media_type(content_type) is expected


# -- unknown and invalid documents --------------------------------------------------------------


def test_unknown_activity_type_is_parsed_with_its_type_kept():
    doc = {
        "id": "https://a.example/x/1",
        "type": "Frobnicate",
        "actor": ALICE,
        "object": "https://a.example/n/1",
    }
    unknown = parse_activity(doc)
    assert unknown.type == "Frobnicate" and unknown.object_id == "https://a.example/n/1"
    assert isinstance(parse_document(doc), Activity)


def test_unknown_object_type_is_parsed_with_its_type_kept():
    doc = {"id": "https://a.example/x/1", "type": ["Recipe", "schema:Recipe"], "name": "Mocktail"}
    recipe = parse_document(doc)
    assert isinstance(recipe, Post) and recipe.type == "Recipe" and recipe.name == "Mocktail"


def test_unknown_tag_types_are_skipped():
    doc = {
        "id": "https://a.example/n/1",
        "type": "Note",
        "tag": [{"type": "Infohash", "name": "x"}, "junk", 7],
    }
    assert parse_object(doc).mentions == ()


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"type": "Create", "actor": ALICE, "object": "https://a.example/n/1"}, "has no id"),
        (
            {"id": "https://a.example/a/1", "actor": ALICE, "object": "https://a.example/n/1"},
            "has no type",
        ),
        (
            {"id": "https://a.example/a/1", "type": "Create", "object": "https://a.example/n/1"},
            "has no actor",
        ),
        ({"id": "https://a.example/a/1", "type": "Create", "actor": ALICE}, "has no object id"),
        (
            {
                "id": "https://a.example/a/1",
                "type": "Create",
                "actor": ALICE,
                "object": {"type": "Note"},
            },
            "has no object id",
        ),
        (
            {
                "id": "javascript:alert(1)",
                "type": "Like",
                "actor": ALICE,
                "object": "https://a.example/n/1",
            },
            "not an http(s) URL",
        ),
        (
            {
                "id": "https://a.example/a/1",
                "type": "Like",
                "actor": 7,
                "object": "https://a.example/n/1",
            },
            "not an http(s) URL",
        ),
        (["https://a.example/a/1"], "expected a JSON object"),
        ("Create", "expected a JSON object"),
    ],
)
def test_missing_id_type_or_actor_is_invalid(doc, reason):
    with pytest.raises(
        InvalidDocument, match=reason.replace("(", r"\(").replace(")", r"\)")
    ) as caught:
        parse_activity(doc)
    assert caught.value.status == 400


@pytest.mark.parametrize("parse", [parse_object, parse_actor, parse_document])
def test_objects_and_actors_need_an_id_and_a_type(parse):
    with pytest.raises(InvalidDocument, match="has no id"):
        parse({"type": "Person"})
    with pytest.raises(InvalidDocument, match="has no type"):
        parse({"id": "https://a.example/u/1"})


def test_a_note_is_not_an_actor():
    with pytest.raises(InvalidDocument, match="expected an actor, got a Note"):
        parse_actor(load("mastodon/objects/note_1.json"))


def test_embedding_is_followed_to_a_small_depth_only():
    doc: dict[str, Any] = {"id": "https://a.example/n/1", "type": "Note"}
    for level in range(50):
        doc = {
            "id": f"https://a.example/a/{level}",
            "type": "Announce",
            "actor": ALICE,
            "object": doc,
        }
    depth, item = 0, parse_activity(doc).object
    while isinstance(item, Activity):
        depth, item = depth + 1, item.object
    assert depth == MAX_DEPTH and item is None
