"""Web Push subscriptions (docs.joinmastodon.org/methods/push): the calling
token's one subscription, created (replacing one it had), shown, changed
and removed; the WebPushSubscription entity. Sending: web/push_sender.py."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import push
from recovery.push_models import ALERTS, Subscription, SubscriptionInput
from web.api.http import (
    ApiError,
    Params,
    api_routes,
    authenticate_member,
    bearer_token,
    json_response,
    read_params,
)
from web.api.relationships import domain_errors
from web.http import connection, transaction

SCOPE = "push"


def entity(subscription: Subscription, server_key: str) -> dict[str, Any]:
    return {
        "id": str(subscription.id),
        "endpoint": subscription.endpoint,
        "standard": subscription.standard,
        "alerts": {alert: alert in subscription.alerts for alert in ALERTS},
        "policy": subscription.policy,
        "server_key": server_key,
    }


def _switches(data: Params) -> dict[str, bool] | None:
    """data[alerts][...] as given (None when the request has no alerts)."""
    if "alerts" not in data:
        return None
    alerts = data.sub("alerts")
    return {alert: bool(alerts.get_bool(alert, False)) for alert in ALERTS}


def _policy(params: Params, data: Params) -> str | None:
    return data.get_str("policy") or params.get_str("policy")


async def _respond(conn: Any, subscription: Subscription) -> Response:
    key = await push.vapid_key(conn)
    return json_response(entity(subscription, key.public_key))


def _wanted(params: Params) -> SubscriptionInput:
    """subscription[endpoint], subscription[keys][p256dh|auth],
    subscription[standard], data[alerts][...] and data[policy] (or policy)."""
    given, data = params.sub("subscription"), params.sub("data")
    keys = given.sub("keys")
    return push.parse_input(
        given.get_str("endpoint", required=True, max_length=push.ENDPOINT_MAX) or "",
        keys.get_str("p256dh", required=True, max_length=200) or "",
        keys.get_str("auth", required=True, max_length=100) or "",
        _switches(data) or {}, _policy(params, data), bool(given.get_bool("standard", False)))


async def create(request: Request) -> Response:
    caller, member = await authenticate_member(request, SCOPE)
    token = bearer_token(request)
    if token is None:  # authenticate_member found one
        raise ApiError(401, "The access token is invalid")
    with domain_errors():
        wanted = _wanted(await read_params(request))
        async with transaction(request) as conn:
            subscription = await push.subscribe(conn, caller.token_id, member.id, token, wanted)
            return await _respond(conn, subscription)


async def show(request: Request) -> Response:
    caller, _ = await authenticate_member(request, SCOPE)
    with domain_errors():
        async with connection(request) as conn:
            return await _respond(conn, await push.current(conn, caller.token_id))


async def update(request: Request) -> Response:
    caller, _ = await authenticate_member(request, SCOPE)
    params = await read_params(request)
    data = params.sub("data")
    with domain_errors():
        async with transaction(request) as conn:
            subscription = await push.update(conn, caller.token_id, _switches(data),
                                             _policy(params, data))
            return await _respond(conn, subscription)


async def remove(request: Request) -> Response:
    caller, _ = await authenticate_member(request, SCOPE)
    async with transaction(request) as conn:
        await push.unsubscribe(conn, caller.token_id)
    return json_response({})


routes = [
    *api_routes("/api/v1/push/subscription", create, ["POST"]),
    *api_routes("/api/v1/push/subscription", show, ["GET"]),
    *api_routes("/api/v1/push/subscription", update, ["PUT"]),
    *api_routes("/api/v1/push/subscription", remove, ["DELETE"]),
]
