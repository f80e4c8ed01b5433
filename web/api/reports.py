"""Reports (docs.joinmastodon.org/methods/reports): ``POST /api/v1/reports``
with account_id, status_ids[], comment, forward, category and rule_ids[].
The report waits on the moderation page; with ``forward`` a remote account's
server is sent a Flag from the instance actor, as Mastodon sends it (the
account, the posts, the comment; never who reported)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from federation import vocab
from outbox import uris
from outbox.publish import publish
from recovery import reports
from recovery.models import Member, Party, Post, RemoteActor
from recovery.report_models import NewReport, Report
from web.api import entities
from web.api.http import (
    ApiError,
    Params,
    api_routes,
    authenticate_member,
    json_response,
    read_params,
)
from web.api.ids import parse_status_id
from web.api.relationships import domain_errors, party_of
from web.http import transaction
from web.social import Site

RULE_IDS_MAX = 50


def _ids(params: Params, name: str, most: int) -> tuple[int, ...]:
    found = []
    for raw in params.strs(name, max_items=most):
        value = parse_status_id(raw)
        if value is None:
            raise ApiError(422, f"Validation failed: {name} must be ids")
        found.append(value)
    return tuple(found)


def _new_report(params: Params, target: Party) -> NewReport:
    return NewReport(
        target=target, post_ids=_ids(params, "status_ids", reports.POSTS_MAX),
        comment=params.get_str("comment", "", max_length=reports.COMMENT_MAX) or "",
        category=params.get_str("category", "") or "",
        rule_ids=_ids(params, "rule_ids", RULE_IDS_MAX),
        forward=bool(params.get_bool("forward", False)))


def flag(base: str, uri: str, account: RemoteActor, posts: Sequence[Post],
         comment: str) -> dict[str, Any]:
    return {"@context": vocab.CONTEXT, "id": uri, "type": "Flag", "actor": f"{base}/actor",
            "content": comment, "object": [account.uri, *(p.uri for p in posts if p.uri)],
            "to": [account.uri]}


def report_entity(report: Report, account: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": str(report.id), "action_taken": False, "action_taken_at": None,
        "category": report.category, "comment": report.comment,
        "forwarded": report.forwarded, "created_at": entities.iso(report.created_at),
        "status_ids": [str(i) for i in report.post_ids] or None,
        "rule_ids": [str(i) for i in report.rule_ids] or None,
        "target_account": account,
    }


async def create(request: Request) -> Response:
    _, member = await authenticate_member(request, "write:reports")
    params = await read_params(request)
    raw_account = params.get_str("account_id", required=True) or ""
    site, rule_count = Site.of(request), len(request.app.state.settings.rules)
    with domain_errors():
        async with transaction(request) as conn:
            party, account = await party_of(conn, raw_account)
            new = reports.checked(isinstance(account, Member), member,
                                  _new_report(params, party), rule_count)
            posts = await reports.reported_posts(conn, member, site.actor(member), new)
            uri = uris.new_activity_uri(site.base)
            report = await reports.file(conn, member, uri, new, posts)
            if report.forwarded and isinstance(account, RemoteActor):
                await publish(conn, flag(site.base, uri, account, posts, report.comment), None,
                              [account.delivery_inbox])
            found = await entities.accounts_context(conn, [party])
    return json_response(report_entity(report, entities.account_of(party, found, site.base)))


routes = [*api_routes("/api/v1/reports", create, ["POST"])]
