"""Grouped notifications and the notification policy
(docs.joinmastodon.org/methods/grouped_notifications, methods/notifications),
which Phanpy and Tusky ask for as soon as an instance reports
``api_versions.mastodon`` >= 2.

Hearth does not group: each notification is a group of one, keyed
``ungrouped-<id>`` as Mastodon keys the notifications it does not group.
Nothing is filtered into notification requests either, so the policy accepts
everything and the list of requests is empty."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import notices
from web.api.http import (
    api_routes,
    authenticate_member,
    json_response,
    link_header,
    read_params,
)
from web.api.notifications import READ, entities_of, query_of
from web.api.timelines import list_page
from web.http import connection
from web.social import Site

_ACCEPT_ALL = {
    "for_not_following": "accept",
    "for_not_followers": "accept",
    "for_new_accounts": "accept",
    "for_private_mentions": "accept",
    "for_limited_accounts": "accept",
    "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
}


def grouped(shown: list[dict[str, Any]]) -> dict[str, Any]:
    """Notification entities (newest first) as GroupedNotificationsResults:
    one group per notification, each account and status once."""
    accounts: dict[str, dict[str, Any]] = {}
    statuses: dict[str, dict[str, Any]] = {}
    groups = []
    for entity in shown:
        account = entity["account"]
        accounts.setdefault(account["id"], account)
        group = {
            "group_key": entity["group_key"], "notifications_count": 1,
            "type": entity["type"], "most_recent_notification_id": entity["id"],
            "page_min_id": entity["id"], "page_max_id": entity["id"],
            "latest_page_notification_at": entity["created_at"],
            "sample_account_ids": [account["id"]],
        }
        if "status" in entity:
            statuses.setdefault(entity["status"]["id"], entity["status"])
            group["status_id"] = entity["status"]["id"]
        groups.append(group)
    return {"accounts": list(accounts.values()), "statuses": list(statuses.values()),
            "notification_groups": groups}


async def index(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    params = await read_params(request)
    query, page = query_of(params), list_page(params)
    site = Site.of(request)
    async with connection(request) as conn:
        listed = await notices.page(conn, member, site.actor(member), query, page)
        shown = await entities_of(conn, listed, member, site.base)
    link = link_header(request, [item.notification.id for item in listed])
    return json_response(grouped(shown), headers={"link": link} if link else None)


async def policy(request: Request) -> Response:
    await authenticate_member(request, READ)
    return json_response(_ACCEPT_ALL)


async def requests(request: Request) -> Response:
    await authenticate_member(request, READ)
    return json_response([])


# Before notifications.routes: /api/v1/notifications/{id} would take "requests".
routes = [
    *api_routes("/api/v2/notifications", index, ["GET"]),
    *api_routes("/api/v2/notifications/policy", policy, ["GET"]),
    *api_routes("/api/v1/notifications/policy", policy, ["GET"]),
    *api_routes("/api/v1/notifications/requests", requests, ["GET"]),
]
