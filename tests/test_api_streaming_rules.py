"""What each streaming channel shows, for a post its owner may see: the
same choices as the timelines (web/stream_rules.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from recovery import events
from recovery.models import Author, Party, Post, Visibility
from web.stream_rules import Channel, Facts, deletion_shown, reply_to_others, shows, wants

LOCAL = Author(1, None, "river", "river", None, None, None)
REMOTE = Author(None, 7, "lake", "lake", "far.example", "https://far.example/users/lake", None)


def _post(author: Author = LOCAL, visibility: Visibility = Visibility.PUBLIC,
          **extra: object) -> Post:
    values: dict[str, object] = {
        "id": 10, "uri": None, "author": author, "visibility": visibility,
        "content_html": "<p>hi</p>", "summary": "", "sensitive": False,
        "in_reply_to_id": None, "in_reply_to_uri": None, "context_uri": None, "url": None,
        "recipients": (), "published_at": datetime.now(UTC), "edited_at": None, **extra}
    return Post(**values)  # type: ignore[arg-type]


def _facts(post: Post, *, reply: bool = False, media: bool = False,
           tags: set[str] | None = None) -> Facts:
    return Facts(post, reply, media, tags or set())


def test_public_channels_follow_the_public_timeline():
    local, remote = _facts(_post()), _facts(_post(REMOTE))
    assert shows(Channel("public"), local, home=False)
    assert shows(Channel("public:local"), local, home=False)
    assert not shows(Channel("public:remote"), local, home=False)
    assert shows(Channel("public:remote"), remote, home=False)
    assert not shows(Channel("public:local"), remote, home=False)
    assert not shows(Channel("public:media"), local, home=False)
    assert shows(Channel("public:media"), _facts(_post(), media=True), home=False)
    assert not shows(Channel("public"), _facts(_post(), reply=True), home=False)
    for hidden in (Visibility.UNLISTED, Visibility.FOLLOWERS, Visibility.DIRECT):
        assert not shows(Channel("public"), _facts(_post(visibility=hidden)), home=True)
    assert shows(Channel("public:local"), _facts(_post(visibility=Visibility.COMMUNITY)),
                 home=False)
    assert not shows(Channel("public"), _facts(_post(reblog_of_id=3)), home=True)


def test_hashtag_channels_show_their_tag_replies_included():
    tagged = _facts(_post(), reply=True, tags={"sober"})
    assert shows(Channel("hashtag", "sober"), tagged, home=False)
    assert not shows(Channel("hashtag", "coffee"), tagged, home=False)
    assert not shows(Channel("hashtag:local", "sober"),
                     _facts(_post(REMOTE), tags={"sober"}), home=False)


def test_the_user_channel_is_the_home_feed_and_direct_only_direct_posts():
    post = _facts(_post(visibility=Visibility.FOLLOWERS))
    assert shows(Channel("user"), post, home=True)
    assert not shows(Channel("user"), post, home=False)
    assert not shows(Channel("direct"), post, home=True)
    assert shows(Channel("direct"), _facts(_post(visibility=Visibility.DIRECT)), home=True)
    assert not shows(Channel("user:notification"), post, home=True)


def test_a_reply_to_ones_own_post_is_not_a_reply_to_others():
    assert not reply_to_others(_post(in_reply_to_id=5), {5: Party(member_id=1)})
    assert reply_to_others(_post(in_reply_to_id=5), {5: Party(member_id=2)})
    assert reply_to_others(_post(in_reply_to_uri="https://far.example/notes/1"), {})


def test_only_its_owner_is_told_of_a_notification_or_a_filter_change():
    notice = events.Event(events.NOTIFICATION, id=1, member_id=4)
    assert wants({"user:notification"}, 4, notice)
    assert not wants({"user", "public"}, 5, notice)
    assert not wants({"public"}, 4, notice)
    assert wants({"user"}, 4, events.Event(events.FILTERS, member_id=4))
    assert not wants({"user:notification"}, 4, events.Event(events.POST, id=1))


def test_a_deletion_goes_where_the_post_could_have_been_shown():
    gone = events.Event(events.DELETE, id=10, author=Party(member_id=1),
                        visibility=Visibility.FOLLOWERS)
    assert deletion_shown(Channel("user"), 1, "u1", gone, set())
    assert deletion_shown(Channel("user"), 2, "u2", gone, {2})
    assert not deletion_shown(Channel("user"), 3, "u3", gone, {2})
    assert not deletion_shown(Channel("public"), 2, "u2", gone, {2})
    direct = events.Event(events.DELETE, id=11, author=Party(member_id=1),
                          visibility=Visibility.DIRECT, recipients=("u2",))
    assert deletion_shown(Channel("direct"), 2, "u2", direct, set())
    assert not deletion_shown(Channel("user"), 3, "u3", direct, {3})
    public = events.Event(events.DELETE, id=12, author=Party(remote_id=7),
                          visibility=Visibility.PUBLIC)
    assert deletion_shown(Channel("public:remote"), 3, "u3", public, set())
    assert not deletion_shown(Channel("public:local"), 3, "u3", public, set())
    assert deletion_shown(Channel("hashtag", "sober"), 3, "u3", public, set())
