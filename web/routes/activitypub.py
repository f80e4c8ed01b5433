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
no shared cache hands them on.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from federation import vocab
from federation.addresses import is_blocked, origin_of, same_origin
from federation.errors import FederationError, SignatureError
from federation.signatures import key_id_of, verify_any
from inbox.remote import RemoteFetcher, resolve_key
from outbox import activities, uris
from recovery import follows, members, peers, posts
from recovery.errors import NotFound
from recovery.models import Member, Post, RemoteActor, RemoteKey, Visibility
from web.http import accepts_activity_json, connection
from web.routes.actors import activity_json
from web.routes.inbox import shared_inbox

log = logging.getLogger(__name__)

PAGE_SIZE = 20
NOT_FOUND = "There is nothing at this address."
_USERNAME = re.compile(r"[A-Za-z0-9_]{1,30}")
_POST_ID = re.compile(r"[0-9]{1,18}")
_OPEN = (Visibility.PUBLIC, Visibility.UNLISTED)

Builder = Callable[[str, Member, Post, list[str]], dict[str, Any]]


# -- posts ---------------------------------------------------------------------

async def post_object(request: Request) -> Response:
    """GET /users/NAME/posts/ID: the Note."""
    return await _post(request, activities.note)


async def post_activity(request: Request) -> Response:
    """GET /users/NAME/posts/ID/activity: the Create that carried it."""
    return await _post(request, activities.create)


async def _post(request: Request, build: Builder) -> Response:
    username, post_id = request.path_params["username"], request.path_params["post_id"]
    if not (_USERNAME.fullmatch(username) and _POST_ID.fullmatch(post_id)):
        return _not_found()
    if not accepts_activity_json(request):
        return RedirectResponse(f"/@{username}/{post_id}", status_code=303,
                                headers={"vary": "Accept"})
    async with connection(request) as conn:
        viewer = await _signer(request, conn)
        try:
            member = await members.get_profile(conn, username)
            post = await posts.fetched_remotely(conn, member, int(post_id), viewer)
        except NotFound:
            return _not_found()
    response = activity_json(build(_base(request), member, post, list(post.recipients)))
    if post.visibility not in _OPEN:
        response.headers["cache-control"] = "private, no-store"
    return response


async def _signer(request: Request, conn: Any) -> RemoteActor | None:
    """The remote actor whose signature on this GET verifies; None when it
    is unsigned or the signature gives no authority (logged, never an error)."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    if "signature" not in headers and "signature-input" not in headers:
        return None
    try:
        key = await _verified_key(request, conn, headers)
    except FederationError as exc:
        log.info("signed %s %s taken as anonymous: %s", request.method, request.url.path,
                 exc.reason)
        return None
    return await peers.by_uri(conn, key.owner) if key is not None else None


async def _verified_key(request: Request, conn: Any, headers: dict[str, str]) -> RemoteKey | None:
    settings = request.app.state.settings
    key_id = key_id_of(headers)
    if same_origin(key_id, settings.url):
        return None  # our own members read through the pages and the API
    blocked = await peers.blocked_domains(conn)
    if is_blocked(origin_of(key_id)[1], blocked):
        raise SignatureError("the key is on a blocked domain")  # and nothing is fetched
    fetcher: RemoteFetcher = request.app.state.fetcher
    fetcher = dataclasses.replace(
        fetcher, policy=dataclasses.replace(fetcher.policy, blocked_domains=blocked))
    query = f"?{request.url.query}" if request.url.query else ""
    url = f"{settings.url}{request.url.path}{query}"  # our own origin, never the Host header
    key = await resolve_key(conn, fetcher, key_id, refresh=False)
    try:
        verify_any(request.method, url, headers, None, lambda _key_id: key.public_key_pem)
    except SignatureError:
        # A rotated key is fetched again, at most once a minute (RELIABILITY.md 12).
        fresh = await resolve_key(conn, fetcher, key_id, refresh=True)
        if fresh.public_key_pem == key.public_key_pem:
            raise
        verify_any(request.method, url, headers, None, lambda _key_id: fresh.public_key_pem)
        key = fresh
    return key


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
            return activity_json(_outbox_page(base, member, address, listed, max_id))
        total = await posts.public_count(conn, member)
    return activity_json(_collection(address, total, first=f"{address}?page=true"))


def _outbox_page(
    base: str, member: Member, address: str, listed: list[Post], max_id: int | None
) -> dict[str, Any]:
    shown = listed[:PAGE_SIZE]
    items = []
    for post in shown:
        create = activities.create(base, member, post, list(post.recipients))
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
