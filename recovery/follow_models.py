"""What a member chose when following an account, as Mastodon's follow
takes it (docs.joinmastodon.org/methods/accounts/#follow)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FollowOptions:
    """``reblogs``: the account's boosts reach the follower's home feed;
    ``notify``: the follower is told of the account's new posts;
    ``languages``: the languages of its posts shown at home (None: all)."""

    reblogs: bool = True
    notify: bool = False
    languages: tuple[str, ...] | None = None
