"""Actor documents: a Person per member, the instance's Application actor.

Browsers asking for /users/NAME are sent to the profile page; servers asking
for ActivityStreams JSON at /@NAME get the actor. An Accept header that
allows neither gets 406 (web/negotiation.py). A member who deleted their
account is 410 Gone there (and at their posts' addresses): a Tombstone for
servers, a page for browsers."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation import vocab
from federation.actors import person_to_as2
from federation.convert import format_datetime
from recovery import accounts, actors, departures
from recovery.account_models import ProfileField
from recovery.errors import NotFound
from recovery.media import media_type_of
from recovery.models import Member
from web.http import connection, render
from web.negotiation import Wanted, negotiated, wanted
from web.routes.media import media_url
from web.settings import Settings

AP_JSON = "application/activity+json"
GONE = "This member deleted their account. What they wrote here is gone too."


def activity_json(document: dict[str, Any]) -> Response:
    return JSONResponse(document, media_type=AP_JSON,
                        headers={"vary": "Accept", "access-control-allow-origin": "*"})


def _summary_html(bio: str) -> str:
    paragraphs = [p.strip() for p in bio.split("\n") if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def person_document(settings: Settings, member: Member, public_key_pem: str,
                    fields: Sequence[ProfileField] = ()) -> dict[str, Any]:
    """The member's Person; their profile fields ride as ``PropertyValue``
    attachments, as Mastodon sends them (values are plain text here)."""
    actor = f"{settings.url}/users/{member.username}"
    # The month joined, as the profile page shows; not the exact moment.
    joined = member.created_at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    document = person_to_as2(
        id=actor, preferred_username=member.username, inbox=f"{actor}/inbox",
        outbox=f"{actor}/outbox", followers=f"{actor}/followers",
        following=f"{actor}/following", public_key_pem=public_key_pem,
        name=member.shown_name, summary=_summary_html(member.bio),
        url=f"{settings.url}/@{member.username}", shared_inbox=f"{settings.url}/inbox",
        manually_approves_followers=member.manually_approves_followers,
        discoverable=member.discoverable, published=joined,
        icon_url=media_url(settings, member.avatar_file),
        icon_media_type=media_type_of(member.avatar_file) if member.avatar_file else None,
        image_url=media_url(settings, member.header_file),
        image_media_type=media_type_of(member.header_file) if member.header_file else None,
    )
    if fields:
        document["@context"][-1].update(_PROPERTY_VALUE)
        document["attachment"] = [{"type": "PropertyValue", "name": f.name,
                                   "value": html.escape(f.value)} for f in fields]
    return document


_PROPERTY_VALUE = {"schema": "http://schema.org#", "PropertyValue": "schema:PropertyValue",
                   "value": "schema:value"}


async def member_document(conn: Any, settings: Settings, username: str) -> dict[str, Any]:
    """The active member's Person as their actor URL serves it; NotFound
    when there is no such active member."""
    member, pem = await actors.public_member(conn, username)
    shown = await accounts.settings(conn, member.id)
    return person_document(settings, member, pem, shown.fields)


def instance_document(settings: Settings, public_key_pem: str) -> dict[str, Any]:
    actor = f"{settings.url}/actor"
    return person_to_as2(
        id=actor, kind="Application", preferred_username=settings.domain,
        inbox=f"{actor}/inbox", outbox=f"{actor}/outbox", followers=f"{actor}/followers",
        following=f"{actor}/following", public_key_pem=public_key_pem,
        name=settings.instance_name, summary=f"<p>{html.escape(settings.description)}</p>",
        url=f"{settings.url}/about", shared_inbox=f"{settings.url}/inbox",
        manually_approves_followers=True, discoverable=False,
    )


async def member_actor(request: Request) -> Response:
    """GET /users/NAME: the Person, or a browser sent to the profile page;
    406 when the Accept header allows neither (web/negotiation.py)."""
    username = request.path_params["username"]
    if (other := negotiated(request, f"/@{username}", page_first=True)) is not None:
        actor = f"{request.app.state.settings.url}/users/{username}"
        return await gone(request, username, actor, "Person") or other
    return await member_json(request, username)


async def member_json(request: Request, username: str) -> Response:
    async with connection(request) as conn:
        try:
            document = await member_document(conn, request.app.state.settings, username)
        except NotFound:
            departed = await departures.departed_at(conn, username)
            if departed is None:
                raise
            actor = f"{request.app.state.settings.url}/users/{username}"
            return tombstone(actor, departed, "Person")
    return activity_json(document)


async def gone(request: Request, username: str, uri: str,
               former_type: str | None = None) -> Response | None:
    """410 Gone when ``username`` belonged to a member who deleted their
    account: a Tombstone for ``uri``, or for a browser a page; else None."""
    async with connection(request) as conn:
        departed = await departures.departed_at(conn, username)
    if departed is None:
        return None
    if wanted(request, page_first=True) is Wanted.HTML:
        page = await render(request, "gone.html", {"message": GONE}, status_code=410)
        page.headers["vary"] = "Accept"
        return page
    return tombstone(uri, departed, former_type)


def tombstone(uri: str, deleted: datetime, former_type: str | None = None) -> Response:
    """410 with the Tombstone that stands where ``uri`` was, as Mastodon
    answers for what was deleted."""
    document: dict[str, Any] = {"@context": vocab.AS_CONTEXT, "id": uri, "type": "Tombstone",
                                "deleted": format_datetime(deleted)}
    if former_type:
        document["formerType"] = former_type
    return JSONResponse(document, status_code=410, media_type=AP_JSON,
                        headers={"vary": "Accept", "access-control-allow-origin": "*"})


async def instance_actor(request: Request) -> Response:
    """GET /actor: the Application actor (ActivityPub only: no page)."""
    if (other := negotiated(request, "/about", page_first=False)) is not None:
        return other
    async with connection(request) as conn:
        keys = await actors.instance_keys(conn)
    return activity_json(instance_document(request.app.state.settings, keys.public_key_pem))


routes = [
    Route("/users/{username}", member_actor, methods=["GET"]),
    Route("/actor", instance_actor, methods=["GET"]),
]
