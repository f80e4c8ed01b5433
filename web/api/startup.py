"""What clients ask for as they start: the member's own account and
preferences, and empty but valid answers for features Hearth does not have
yet (trends, suggestions, ...)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from recovery import accounts
from web.api.accounts import credential_json
from web.api.http import api_routes, authenticate, authenticate_member, json_response
from web.api.relationships import party_of
from web.http import connection


async def verify_credentials(request: Request) -> Response:
    _, member = await authenticate_member(request, ("read:accounts", "profile"))
    async with connection(request) as conn:
        return json_response(await credential_json(conn, member,
                                                   request.app.state.settings.url))


async def preferences(request: Request) -> Response:
    """The member's posting defaults as they set them (update_credentials'
    source[privacy], source[sensitive], source[language]); visibility falls
    back to followers-only for members who approve followers."""
    _, member = await authenticate_member(request, "read:accounts")
    async with connection(request) as conn:
        saved = await accounts.settings(conn, member.id)
    fallback = "private" if member.manually_approves_followers else "public"
    return json_response({
        "posting:default:visibility": saved.default_privacy or fallback,
        "posting:default:sensitive": saved.default_sensitive,
        "posting:default:language": saved.default_language,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    })


def _empty(scope: str, payload: list[object] | dict[str, object],
           ) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        await authenticate(request, scope)
        return json_response(payload)
    return endpoint


async def trends(request: Request) -> Response:
    return json_response([])


async def account_featured_tags(request: Request) -> Response:
    """GET /api/v1/accounts/:id/featured_tags: Hearth has no featured tags,
    so an empty list for an account that exists (Phanpy asks on every
    profile); 404 for one that does not, as Mastodon answers."""
    await authenticate(request, "read:accounts", required=False, user=False)
    async with connection(request) as conn:
        await party_of(conn, request.path_params["id"])
    return json_response([])


routes = [
    *api_routes("/api/v1/accounts/verify_credentials", verify_credentials, ["GET"]),
    *api_routes("/api/v1/preferences", preferences, ["GET"]),
    *api_routes("/api/v1/suggestions", _empty("read", []), ["GET"]),
    *api_routes("/api/v2/suggestions", _empty("read", []), ["GET"]),
    *api_routes("/api/v1/featured_tags", _empty("read:accounts", []), ["GET"]),
    *api_routes("/api/v1/accounts/{id}/featured_tags", account_featured_tags, ["GET"]),
    *api_routes("/api/v1/domain_blocks", _empty("read:blocks", []), ["GET"]),
    *api_routes("/api/v1/announcements", _empty("read", []), ["GET"]),
    *api_routes("/api/v1/trends", trends, ["GET"]),
    *api_routes("/api/v1/trends/tags", trends, ["GET"]),
    *api_routes("/api/v1/trends/statuses", trends, ["GET"]),
    *api_routes("/api/v1/trends/links", trends, ["GET"]),
]
