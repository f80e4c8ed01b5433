"""ActivityPub's read side: a member's posts and their Create activities, the
member's outbox, follower and following collections, and the instance
actor's outbox and inbox.

Who may fetch a post (DESIGN.md, "Rules that keep members safe";
RELIABILITY.md 26):

- public and unlisted: anyone, signed or not;
- followers-only: a GET signed by an actor who is an accepted follower of
  the author;
- direct: a GET signed by an actor the post is addressed to;
- community-only: nobody, ever: those posts never leave the instance.

Anything else is answered with the very same 404 as a post that does not
exist. A signature is checked whenever one is present, before the post is
looked up, so whether we fetch the signer's key says nothing about the post
either. A signature that does not verify (another path, method or host,
a stale date, an unknown or blocked key, RELIABILITY.md 7-11) gives no
authority and no error: the request is simply anonymous, and public posts
stay public. Answers that only a signer may see are marked ``no-store`` so
no shared cache hands them on. The signer's key is looked up, fetched and
stored without a pooled connection held across the fetch (RELIABILITY.md 38).

Accept (web/negotiation.py, RELIABILITY.md 35): posts send browsers to
their page; the collections and the instance actor's outbox answer
ActivityStreams to any client that accepts it, and send one that accepts
HTML alone to the profile (or about) page; an Accept header that allows
neither gets 406.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation import vocab
from federation.addresses import is_blocked, origin_of, same_origin
from federation.errors import FederationError, SignatureError
from federation.objects import Attachment
from federation.signatures import key_id_of, verify_any
from inbox.receive import revive_host
from inbox.remote import Connect, RemoteFetcher, fetch_and_store_key, resolve_key
from outbox import activities, uris
from outbox.polls import with_question
from recovery import follows, media, members, peers, polls, posts
from recovery.errors import NotFound
from recovery.models import Member, Post, RemoteActor, RemoteKey, Visibility
from web.http import connection
from web.negotiation import negotiated
from web.routes.actors import activity_json, gone
from web.routes.inbox import receive_cache, shared_inbox

log = logging.getLogger(__name__)

PAGE_SIZE = 20
NOT_FOUND = "There is nothing at this address."
_USERNAME = re.compile(r"[A-Za-z0-9_]{1,30}")
_POST_ID = re.compile(r"[0-9]{1,18}")
_OPEN = (Visibility.PUBLIC, Visibility.UNLISTED)

Builder = Callable[[str, Member, Post, list[str], list[Attachment], list[str]], dict[str, Any]]


# -- posts ---------------------------------------------------------------------

async def post_object(request: Request) -> Response:
    """GET /users/NAME/posts/ID: the Note."""
    return await _post(request, activities.as_object)


async def post_activity(request: Request) -> Response:
    """GET /users/NAME/posts/ID/activity: the Create that carried it."""
    return await _post(request, activities.as_activity)


async def _post(request: Request, build: Builder) -> Response:
    username, post_id = request.path_params["username"], request.path_params["post_id"]
    if not (_USERNAME.fullmatch(username) and _POST_ID.fullmatch(post_id)):
        return _not_found()
    address = _base(request) + request.url.path  # its Tombstone's id, if its author left
    page = f"/@{username}/{post_id}"
    if (other := negotiated(request, page, page_first=True)) is not None:
        return await gone(request, username, address) or other
    viewer = await _signer(request)  # before the lookup, and no connection held meanwhile
    try:
        async with connection(request) as conn:
            member = await members.get_profile(conn, username)
            post = await posts.fetched_remotely(conn, member, int(post_id), viewer)
            attached = await media.federated(conn, _base(request), post.id)
            hashtags = (await posts.tags_of(conn, [post.id])).get(post.id, [])
            poll = await polls.federated(conn, post.id)
    except NotFound:
        return await gone(request, username, address) or _not_found()
    response = activity_json(with_question(build(
        _base(request), member, post, list(post.recipients), attached, hashtags), poll))
    if post.visibility not in _OPEN:
        response.headers["cache-control"] = "private, no-store"
    return response


async def _signer(request: Request) -> RemoteActor | None:
    """The remote actor whose signature on this GET verifies; None when it
    is unsigned or the signature gives no authority (logged, never an error).
    The signer's key is looked up, and fetched when needed, with no pooled
    connection held across the fetch (RELIABILITY.md 38)."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    if "signature" not in headers and "signature-input" not in headers:
        return None
    try:
        return await _verified_signer(request, headers)
    except FederationError as exc:
        log.info("signed %s %s taken as anonymous: %s", request.method, request.url.path,
                 exc.reason)
        return None


async def _verified_signer(request: Request, headers: dict[str, str]) -> RemoteActor | None:
    settings = request.app.state.settings
    key_id = key_id_of(headers)
    if same_origin(key_id, settings.url):
        return None  # our own members read through the pages and the API
    query = f"?{request.url.query}" if request.url.query else ""
    url = f"{settings.url}{request.url.path}{query}"  # our own origin, never the Host header

    def verify(key: RemoteKey) -> None:
        verify_any(request.method, url, headers, None, lambda _key_id: key.public_key_pem)

    connect = partial(connection, request)
    async with connect() as conn:
        blocked = await peers.blocked_domains(conn)
        if is_blocked(origin_of(key_id)[1], blocked):
            raise SignatureError("the key is on a blocked domain")  # and nothing is fetched
        known = await peers.key(conn, key_id)
        if known is not None and _verifies(verify, known):
            return await _signer_of(conn, request, known)
    fetcher: RemoteFetcher = request.app.state.fetcher
    fetcher = dataclasses.replace(
        fetcher, policy=dataclasses.replace(fetcher.policy, blocked_domains=blocked))
    key = await _fetched_key(connect, fetcher, key_id, known)
    if known is not None and key.public_key_pem == known.public_key_pem:
        verify(known)  # raises why it does not verify
    verify(key)
    async with connect() as conn:
        return await _signer_of(conn, request, key)


async def _fetched_key(
    connect: Connect, fetcher: RemoteFetcher, key_id: str, known: RemoteKey | None
) -> RemoteKey:
    """Unknown: fetched. Known but failing: a rotated key is fetched again,
    at most once a minute (RELIABILITY.md 12)."""
    if known is None:
        return await fetch_and_store_key(connect, fetcher, key_id)
    return await resolve_key(connect, fetcher, key_id, refresh=True, cached=known)


def _verifies(verify: Callable[[RemoteKey], None], key: RemoteKey) -> bool:
    try:
        verify(key)
    except FederationError:
        return False
    return True


async def _signer_of(conn: Any, request: Request, key: RemoteKey) -> RemoteActor | None:
    """The key's owner, once its signature verified; its host, if our
    deliveries gave up on it, is available again (RELIABILITY.md 43)."""
    await revive_host(conn, receive_cache(request), key.key_id)
    return await peers.by_uri(conn, key.owner)


# -- a member's collections ----------------------------------------------------

async def outbox(request: Request) -> Response:
    """GET /users/NAME/outbox: the member's public posts as Create activities.

    Only ``public`` posts are listed, never unlisted ones, though Mastodon
    lists both: an outbox is what crawlers, search indexers and profile
    backfills read, and a member who picks "unlisted" asked to stay out of
    exactly those. This is also what the profile page shows a visitor.
    Unlisted posts are still delivered to followers and can be fetched one by
    one by whoever has their address. Followers-only, direct and community
    posts are never listed, whoever asks and whatever they sign."""
    if (other := negotiated(request, _profile(request), page_first=False)) is not None:
        return other
    base = _base(request)
    page = request.query_params.get("page") == "true"
    raw_max_id = request.query_params.get("max_id")
    if raw_max_id is not None and not _POST_ID.fullmatch(raw_max_id):
        return _error(400, "max_id must be a post id")
    max_id = int(raw_max_id) if raw_max_id is not None else None
    async with connection(request) as conn:
        member = await _member(conn, request.path_params["username"])
        if member is None:
            return _not_found()
        address = f"{uris.actor_uri(base, member.username)}/outbox"
        if page:
            listed = await posts.public_of_member(conn, member, PAGE_SIZE + 1, max_id)
            tags = await posts.tags_of(conn, [p.id for p in listed[:PAGE_SIZE]])
            return activity_json(_outbox_page(base, member, address, listed, max_id, tags))
        total = await posts.public_count(conn, member)
    return activity_json(_collection(address, total, first=f"{address}?page=true"))


def _outbox_page(
    base: str, member: Member, address: str, listed: list[Post], max_id: int | None,
    tags: dict[int, list[str]],
) -> dict[str, Any]:
    shown = listed[:PAGE_SIZE]
    items = []
    for post in shown:
        create = activities.as_activity(base, member, post, list(post.recipients),
                                        hashtags=tags.get(post.id, []))
        create.pop("@context", None)
        items.append(create)
    suffix = f"&max_id={max_id}" if max_id is not None else ""
    document: dict[str, Any] = {
        "@context": vocab.CONTEXT, "id": f"{address}?page=true{suffix}",
        "type": "OrderedCollectionPage", "partOf": address, "orderedItems": items,
    }
    if len(listed) > PAGE_SIZE:
        document["next"] = f"{address}?page=true&max_id={shown[-1].id}"
    return document


async def followers(request: Request) -> Response:
    """GET /users/NAME/followers: how many, never who.

    Members take part under pseudonyms, and who follows whom in a recovery
    community says who is in recovery together: a sponsor, a home group, a
    friend from treatment. Publishing the list would let anyone map that
    graph, so the collection carries only ``totalItems`` (accepted follows
    only) and no ``first`` page or items, as Mastodon does for members who
    hide their network."""
    return await _graph(request, "followers")


async def following(request: Request) -> Response:
    """GET /users/NAME/following: how many, never who (see ``followers``)."""
    return await _graph(request, "following")


async def _graph(request: Request, which: str) -> Response:
    if (other := negotiated(request, _profile(request), page_first=False)) is not None:
        return other
    async with connection(request) as conn:
        member = await _member(conn, request.path_params["username"])
        if member is None:
            return _not_found()
        followers_count, following_count = await follows.counts(conn, member)
    total = followers_count if which == "followers" else following_count
    address = f"{uris.actor_uri(_base(request), member.username)}/{which}"
    return activity_json(_collection(address, total))


# -- the instance actor ----------------------------------------------------------

async def instance_outbox(request: Request) -> Response:
    """GET /actor/outbox: the instance actor publishes nothing."""
    if (other := negotiated(request, "/about", page_first=False)) is not None:
        return other
    return activity_json(_collection(f"{_base(request)}/actor/outbox", 0, items=[]))


async def instance_inbox(request: Request) -> Response:
    """POST /actor/inbox: what the shared inbox does."""
    return await shared_inbox(request)


# -- helpers -------------------------------------------------------------------

def _collection(
    address: str, total: int, *, first: str | None = None, items: list[Any] | None = None
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": vocab.AS_CONTEXT, "id": address, "type": "OrderedCollection",
        "totalItems": total,
    }
    if first is not None:
        document["first"] = first
    if items is not None:
        document["orderedItems"] = items
    return document


async def _member(conn: Any, username: str) -> Member | None:
    if not _USERNAME.fullmatch(username):
        return None
    try:
        return await members.get_profile(conn, username)
    except NotFound:
        return None


def _profile(request: Request) -> str:
    """The member's profile page, for a browser at one of their collections."""
    username = request.path_params["username"]
    return f"/@{username}" if _USERNAME.fullmatch(username) else "/"


def _base(request: Request) -> str:
    base: str = request.app.state.settings.url
    return base


def _not_found() -> Response:
    """One answer for a missing member, a missing post and a post that is not
    shared with the asker, byte for byte."""
    return _error(404, NOT_FOUND)


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers={"vary": "Accept"})


routes = [
    Route("/users/{username}/posts/{post_id}", post_object, methods=["GET"]),
    Route("/users/{username}/posts/{post_id}/activity", post_activity, methods=["GET"]),
    Route("/users/{username}/outbox", outbox, methods=["GET"]),
    Route("/users/{username}/followers", followers, methods=["GET"]),
    Route("/users/{username}/following", following, methods=["GET"]),
    Route("/actor/outbox", instance_outbox, methods=["GET"]),
    Route("/actor/inbox", instance_inbox, methods=["POST"]),
]
