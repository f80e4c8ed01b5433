"""Actor documents: a Person per member, the instance's Application actor.

Browsers asking for /users/NAME are sent to the profile page; servers asking
for ActivityStreams JSON at /@NAME get the actor. An Accept header that
allows neither gets 406 (web/negotiation.py)."""

from __future__ import annotations

import html
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.actors import person_to_as2
from recovery import actors
from recovery.media import media_type_of
from recovery.models import Member
from web.http import connection
from web.negotiation import negotiated
from web.routes.media import media_url
from web.settings import Settings

AP_JSON = "application/activity+json"


def activity_json(document: dict[str, Any]) -> Response:
    return JSONResponse(document, media_type=AP_JSON,
                        headers={"vary": "Accept", "access-control-allow-origin": "*"})


def _summary_html(bio: str) -> str:
    paragraphs = [p.strip() for p in bio.split("\n") if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def person_document(settings: Settings, member: Member, public_key_pem: str) -> dict[str, Any]:
    actor = f"{settings.url}/users/{member.username}"
    # The month joined, as the profile page shows; not the exact moment.
    joined = member.created_at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return person_to_as2(
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
        return other
    return await member_json(request, username)


async def member_json(request: Request, username: str) -> Response:
    async with connection(request) as conn:
        member, pem = await actors.public_member(conn, username)
    return activity_json(person_document(request.app.state.settings, member, pem))


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
