"""How other servers find this instance and its members: WebFinger,
host-meta and NodeInfo. Nothing private is in any of them."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from urllib.parse import unquote, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from recovery import actors, members, posts
from recovery.errors import NotFound
from recovery.models import Registration
from web.http import connection
from web.settings import Settings

JRD = "application/jrd+json"
AP_JSON = "application/activity+json"
_CORS = {"access-control-allow-origin": "*"}
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{v}"


def hearth_version() -> str:
    try:
        return version("hearth")
    except PackageNotFoundError:
        return "0.0.0"


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=_CORS)


def _username_for(resource: str, settings: Settings) -> str | None:
    """The local username a WebFinger resource names, or None."""
    base, domain = settings.url, settings.domain
    if resource.startswith("acct:"):
        user, _, host = resource[5:].removeprefix("@").rpartition("@")
        return user if user and host.lower().rstrip(".") == domain else None
    parts = urlsplit(resource)
    if f"{parts.scheme}://{parts.netloc.lower()}" != base:
        return None
    for prefix in ("/users/", "/@"):
        if parts.path.startswith(prefix) and "/" not in parts.path[len(prefix):]:
            return unquote(parts.path[len(prefix):])
    return None


async def webfinger(request: Request) -> Response:
    resource = request.query_params.get("resource", "").strip()
    if not resource:
        return _error(400, "the resource parameter is required")
    if not resource.startswith(("acct:", "https://", "http://")):
        return _error(404, "only acct:, https: and http: resources are known here")
    settings = request.app.state.settings
    username = _username_for(resource, settings)
    if username is None:
        return _error(404, "no such resource on this server")
    if username.lower() == settings.domain.lower():
        return _jrd(f"acct:{settings.domain}@{settings.domain}", f"{settings.url}/actor",
                    f"{settings.url}/about")
    async with connection(request) as conn:
        try:
            member = await members.get_profile(conn, username)
        except NotFound:
            return _error(404, "no such resource on this server")
    return _jrd(f"acct:{member.username}@{settings.domain}",
                f"{settings.url}/users/{member.username}", f"{settings.url}/@{member.username}")


def _jrd(subject: str, actor: str, page: str) -> Response:
    return JSONResponse({
        "subject": subject,
        "aliases": [actor, page],
        "links": [
            {"rel": "self", "type": AP_JSON, "href": actor},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": page},
        ],
    }, media_type=JRD, headers=_CORS)


async def host_meta(request: Request) -> Response:
    url = request.app.state.settings.url
    xrd = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{url}/.well-known/webfinger?resource={{uri}}"/>\n'
        "</XRD>\n"
    )
    return Response(xrd, media_type="application/xrd+xml", headers=_CORS)


async def nodeinfo_links(request: Request) -> Response:
    url = request.app.state.settings.url
    return JSONResponse({"links": [
        {"rel": NODEINFO_SCHEMA.format(v=v), "href": f"{url}/nodeinfo/{v}"}
        for v in ("2.0", "2.1")
    ]}, headers=_CORS)


async def nodeinfo(request: Request) -> Response:
    schema = request.path_params["version"]
    if schema not in ("2.0", "2.1"):
        return _error(404, "this server speaks NodeInfo 2.0 and 2.1")
    settings = request.app.state.settings
    async with connection(request) as conn:
        users = await actors.local_member_count(conn)
        local_posts = await posts.local_count(conn)
    software = {"name": "hearth", "version": hearth_version()}
    if schema == "2.1":
        software["homepage"] = settings.url
    document = {
        "version": schema,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": settings.registration is Registration.OPEN,
        "usage": {"users": {"total": users}, "localPosts": local_posts},
        "metadata": {"nodeName": settings.instance_name,
                     "nodeDescription": settings.description},
    }
    media = f'application/json; profile="{NODEINFO_SCHEMA.format(v=schema)}#"'
    return JSONResponse(document, media_type=media, headers=_CORS)


routes = [
    Route("/.well-known/webfinger", webfinger, methods=["GET"]),
    Route("/.well-known/host-meta", host_meta, methods=["GET"]),
    Route("/.well-known/nodeinfo", nodeinfo_links, methods=["GET"]),
    Route("/nodeinfo/{version}", nodeinfo, methods=["GET"]),
]
