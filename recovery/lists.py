"""A member's lists (docs.joinmastodon.org/methods/lists): named groups of
accounts they follow, each with a timeline of those accounts' posts. Private
to the member; never federated. An account is in a list through the
member's follow of it, so unfollowing or blocking an account takes it out of
every list of theirs (store/lists.py); deleting a list or the member deletes
its entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recovery.account_models import Listed
from recovery.errors import InvalidInput, NotFound
from recovery.list_models import REPLIES_POLICIES, ListChange, MemberList
from recovery.models import Member, Party, Post
from recovery.status_models import ListPage
from recovery.store import lists as store

LISTS_MAX = 50  # per member, as Mastodon
TITLE_MAX = 200
ACCOUNTS_PER_CALL = 100  # account_ids[] in one add or remove
TIMELINE_MAX = 40
NOT_FOUND = "Record not found"
NOT_FOLLOWED = "You must follow an account before adding it to a list"
ALREADY_IN = "Account has already been taken"


def _title(raw: str | None) -> str:
    title = " ".join((raw or "").split())
    if not title:
        raise InvalidInput("title", "Title can't be blank")
    if len(title) > TITLE_MAX:
        raise InvalidInput("title", f"Title is longer than {TITLE_MAX} characters")
    return title


def _policy(raw: str) -> str:
    if raw not in REPLIES_POLICIES:
        raise InvalidInput("replies_policy", "Replies policy must be one of "
                           + ", ".join(REPLIES_POLICIES))
    return raw


async def of_member(conn: Any, member: Member) -> list[MemberList]:
    return await store.lists_of(conn, member.id)


async def get(conn: Any, member: Member, list_id: int) -> MemberList:
    """The member's list; NotFound for one that is not theirs."""
    found = await store.lists_of(conn, member.id, list_id)
    if not found:
        raise NotFound(NOT_FOUND)
    return found[0]


async def create(conn: Any, member: Member, change: ListChange) -> MemberList:
    title = _title(change.title)
    policy = _policy(change.replies_policy or "list")
    if await store.count_lists(conn, member.id) >= LISTS_MAX:
        raise InvalidInput("title", f"You can have at most {LISTS_MAX} lists")
    return await store.insert_list(conn, member.id, title, policy, bool(change.exclusive))


async def update(conn: Any, member: Member, list_id: int, change: ListChange) -> MemberList:
    was = await get(conn, member, list_id)
    changed = await store.update_list(
        conn, member.id, list_id,
        _title(change.title) if change.title is not None else was.title,
        _policy(change.replies_policy) if change.replies_policy is not None
        else was.replies_policy,
        change.exclusive if change.exclusive is not None else was.exclusive)
    if changed is None:
        raise NotFound(NOT_FOUND)
    return changed


async def delete(conn: Any, member: Member, list_id: int) -> None:
    if not await store.delete_list(conn, member.id, list_id):
        raise NotFound(NOT_FOUND)


async def containing(conn: Any, member: Member, account: Party) -> list[MemberList]:
    """The member's lists that hold ``account``."""
    return await store.lists_with_account(conn, member.id, account)


# -- accounts in a list --------------------------------------------------------------

def _accounts(accounts: Sequence[Party]) -> list[Party]:
    if not accounts:
        raise InvalidInput("account_ids", "account_ids can't be blank")
    if len(accounts) > ACCOUNTS_PER_CALL:
        raise InvalidInput("account_ids", f"at most {ACCOUNTS_PER_CALL} account_ids at once")
    return list(dict.fromkeys(accounts))


async def accounts(conn: Any, member: Member, list_id: int, limit: int | None,
                   max_id: int | None = None, since_id: int | None = None,
                   min_id: int | None = None) -> list[Listed]:
    """The list's accounts, the latest added first; ``limit`` None: all."""
    await get(conn, member, list_id)
    return await store.list_accounts(conn, list_id, limit, max_id, since_id, min_id)


async def add_accounts(conn: Any, member: Member, list_id: int,
                       accounts: Sequence[Party]) -> None:
    """Add accounts the member follows (or asked to follow); all or none:
    run in a transaction. InvalidInput when one is not followed or is in
    the list already (as Mastodon answers)."""
    await get(conn, member, list_id)
    wanted = _accounts(accounts)
    follows = await store.follows_of(conn, member.id, wanted)
    if any(a not in follows for a in wanted):
        raise InvalidInput("account_ids", NOT_FOLLOWED)
    if await store.add_accounts(conn, list_id, [follows[a] for a in wanted]) < len(wanted):
        raise InvalidInput("account_ids", ALREADY_IN)


async def remove_accounts(conn: Any, member: Member, list_id: int,
                          accounts: Sequence[Party]) -> None:
    await get(conn, member, list_id)
    await store.remove_accounts(conn, list_id, _accounts(accounts))


# -- the list's timeline -------------------------------------------------------------

async def timeline(conn: Any, member: Member, member_uri: str, list_id: int,
                   page: ListPage) -> list[Post]:
    """Posts and boosts by the list's accounts that the member may see,
    newest first, as the list's replies_policy says."""
    await get(conn, member, list_id)
    capped = ListPage(min(max(page.limit, 1), TIMELINE_MAX), page.max_id, page.since_id,
                      page.min_id)
    return await store.list_posts(conn, member.id, member_uri, list_id, capped)


async def showing(conn: Any, member: Member, post: Post, list_ids: Sequence[int]) -> set[int]:
    """Which of the member's lists ``list_ids`` the post belongs in (for
    streaming; the caller has checked the member may see it)."""
    if not list_ids:
        return set()
    return await store.lists_showing(conn, member.id, post.id, list_ids)


async def with_author(conn: Any, author: Party, list_ids: Sequence[int]) -> set[int]:
    """Which of ``list_ids`` hold ``author`` (for streaming a deletion)."""
    if not list_ids:
        return set()
    return await store.lists_with_author(conn, author, list_ids)
