"""The instance's own API answers: /api/v1/instance, /api/v2/instance, rules,
peers, activity and custom emojis; what clients read at start-up."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import actors, bookmarks, lookups, posts, push
from recovery.models import Registration
from web.api.entities import iso
from web.api.http import api_routes, json_response
from web.http import connection
from web.routes.discovery import hearth_version
from web.settings import Settings

MASTODON_VERSION = "4.3.0"
# What the statuses, media and polls endpoints accept; their modules use these.
MAX_CHARACTERS = posts.TEXT_MAX
MAX_MEDIA_ATTACHMENTS = 4
CHARACTERS_RESERVED_PER_URL = 23
IMAGE_SIZE_LIMIT = 8 * 1024 * 1024
IMAGE_MATRIX_LIMIT = 4096 * 4096
MEDIA_DESCRIPTION_LIMIT = 1500
SUPPORTED_MIME_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
POLL_LIMITS = {"max_options": 4, "max_characters_per_option": 50,
               "min_expiration": 300, "max_expiration": 2629746}


def version_string() -> str:
    return f"{MASTODON_VERSION} (compatible; Hearth {hearth_version()})"


def streaming_url(settings: Settings) -> str:
    scheme = "wss" if settings.url.startswith("https://") else "ws"
    return f"{scheme}://{settings.domain}"


def rules(settings: Settings) -> list[dict[str, str]]:
    return [{"id": str(n), "text": text, "hint": ""}
            for n, text in enumerate(settings.rules, 1)]


def _configuration(settings: Settings) -> dict[str, Any]:
    return {
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": bookmarks.MAX_PINS},
        "statuses": {"max_characters": MAX_CHARACTERS,
                     "max_media_attachments": MAX_MEDIA_ATTACHMENTS,
                     "characters_reserved_per_url": CHARACTERS_RESERVED_PER_URL},
        "media_attachments": {
            "supported_mime_types": SUPPORTED_MIME_TYPES,
            "description_limit": MEDIA_DESCRIPTION_LIMIT,
            "image_size_limit": IMAGE_SIZE_LIMIT, "image_matrix_limit": IMAGE_MATRIX_LIMIT,
            "video_size_limit": 0, "video_frame_rate_limit": 0, "video_matrix_limit": 0,
        },
        "polls": POLL_LIMITS,
    }


async def instance_v2(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    async with connection(request) as conn:
        users = await actors.local_member_count(conn)
        vapid = await push.vapid_key(conn)
    configuration = _configuration(settings)
    configuration["urls"] = {
        "streaming": streaming_url(settings), "status": None,
        "about": f"{settings.url}/about",
        "privacy_policy": f"{settings.url}/about#privacy-heading", "terms_of_service": None,
    }
    configuration["vapid"] = {"public_key": vapid.public_key}
    configuration["translation"] = {"enabled": False}
    configuration["timelines_access"] = {
        "live_feeds": {"local": "authenticated", "remote": "disabled"},
        "hashtag_feeds": {"local": "authenticated", "remote": "disabled"},
        "trending_link_feeds": {"local": "disabled", "remote": "disabled"},
    }
    return json_response({
        "domain": settings.domain,
        "title": settings.instance_name,
        "version": version_string(),
        "source_url": f"{settings.url}/about",
        "description": settings.description,
        "usage": {"users": {"active_month": users}},
        "thumbnail": {"url": f"{settings.url}/static/header-default.png"},
        "icon": [],
        "languages": ["en"],
        "configuration": configuration,
        "registrations": _registrations(settings),
        "api_versions": {"mastodon": 2},
        "contact": {"email": "", "account": None},
        "rules": rules(settings),
    })


def _registrations(settings: Settings) -> dict[str, Any]:
    return {
        "enabled": settings.registration is not Registration.INVITE,
        "approval_required": settings.registration is Registration.APPROVAL,
        "message": None,
        "url": None,
    }


async def instance_v1(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    async with connection(request) as conn:
        users = await actors.local_member_count(conn)
        statuses = await posts.local_count(conn)
        domains = len(await lookups.peer_hosts(conn))
    registrations = _registrations(settings)
    return json_response({
        "uri": settings.domain,
        "title": settings.instance_name,
        "short_description": settings.description,
        "description": settings.description,
        "email": "",
        "version": version_string(),
        "urls": {"streaming_api": streaming_url(settings)},
        "stats": {"user_count": users, "status_count": statuses, "domain_count": domains},
        "thumbnail": f"{settings.url}/static/header-default.png",
        "languages": ["en"],
        "registrations": registrations["enabled"],
        "approval_required": registrations["approval_required"],
        "invites_enabled": settings.registration is Registration.INVITE,
        "configuration": _configuration(settings),
        "contact_account": None,
        "rules": rules(settings),
    })


async def instance_rules(request: Request) -> Response:
    return json_response(rules(request.app.state.settings))


async def instance_peers(request: Request) -> Response:
    async with connection(request) as conn:
        return json_response(await lookups.peer_hosts(conn))


async def empty_list(request: Request) -> Response:
    return json_response([])


def _page_text(request: Request, template: str) -> dict[str, Any]:
    """A part of the about page as Mastodon's ExtendedDescription or
    PrivacyPolicy entity: its HTML, and when its text last changed (the
    template's time; the rules come from the settings)."""
    settings: Settings = request.app.state.settings
    content = request.app.state.templates.get_template(template).render(
        community=settings.community)
    updated = (TEMPLATES / template).stat().st_mtime
    return {"updated_at": iso(datetime.fromtimestamp(updated, UTC)),
            "content": " ".join(content.split())}


async def extended_description(request: Request) -> Response:
    """The about page's rules, what the community is and is not, privacy
    and joining (docs.joinmastodon.org/methods/instance#extended_description)."""
    return json_response(_page_text(request, "_about_body.html"))


async def privacy_policy(request: Request) -> Response:
    return json_response(_page_text(request, "_privacy.html"))


async def translation_languages(request: Request) -> Response:
    return json_response({})  # no translation here (configuration.translation)


routes = [
    *api_routes("/api/v1/instance", instance_v1, ["GET"]),
    *api_routes("/api/v2/instance", instance_v2, ["GET"]),
    *api_routes("/api/v1/instance/rules", instance_rules, ["GET"]),
    *api_routes("/api/v1/instance/peers", instance_peers, ["GET"]),
    *api_routes("/api/v1/instance/activity", empty_list, ["GET"]),
    *api_routes("/api/v1/custom_emojis", empty_list, ["GET"]),
    *api_routes("/api/v1/instance/extended_description", extended_description, ["GET"]),
    *api_routes("/api/v1/instance/privacy_policy", privacy_policy, ["GET"]),
    *api_routes("/api/v1/instance/translation_languages", translation_languages, ["GET"]),
]
