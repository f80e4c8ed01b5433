"""SQL for reports: members' reports from the client API beside the Flags
other servers send (store/peers.py ``add_report``), for moderators."""

from __future__ import annotations

from typing import Any

from recovery.models import Party
from recovery.report_models import NewReport, Report, ReportView

__all__ = ["insert_member_report", "open_reports"]

_COLUMNS = """r.id, r.uri, r.reporter_member_id, r.reporter_remote_id, r.target_member_id,
              r.target_remote_id, r.post_ids, r.object_uris, r.content, r.category,
              r.rule_ids, r.forwarded, r.created_at, r.resolved_at"""


def _report(row: Any) -> Report:
    target = None
    if row["target_member_id"] is not None or row["target_remote_id"] is not None:
        target = Party(row["target_member_id"], row["target_remote_id"])
    return Report(
        id=row["id"], uri=row["uri"], reporter_member_id=row["reporter_member_id"],
        reporter_remote_id=row["reporter_remote_id"], target=target,
        post_ids=tuple(row["post_ids"]), object_uris=tuple(row["object_uris"]),
        comment=row["content"], category=row["category"], rule_ids=tuple(row["rule_ids"]),
        forwarded=row["forwarded"], created_at=row["created_at"],
        resolved_at=row["resolved_at"])


async def insert_member_report(conn: Any, uri: str, member_id: int, new: NewReport,
                               object_uris: list[str], forwarded: bool) -> Report:
    row = await conn.fetchrow(
        f"""INSERT INTO reports AS r (uri, reporter_member_id, target_member_id,
                                     target_remote_id, post_ids, object_uris, content,
                                     category, rule_ids, forwarded)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {_COLUMNS}""",
        uri, member_id, new.target.member_id, new.target.remote_id, list(new.post_ids),
        object_uris, new.comment, new.category, list(new.rule_ids), forwarded)
    return _report(row)


async def open_reports(conn: Any, limit: int) -> list[ReportView]:
    """Reports not resolved, newest first, with who reported whom."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS},
                   coalesce(rm.username, rr.uri, '') AS reporter_name,
                   coalesce(tm.username,
                            tr.preferred_username || '@' || tr.host, tr.uri,
                            r.object_uris[1], '') AS target_name
            FROM reports r
            LEFT JOIN members rm ON rm.id = r.reporter_member_id
            LEFT JOIN remote_actors rr ON rr.id = r.reporter_remote_id
            LEFT JOIN members tm ON tm.id = r.target_member_id
            LEFT JOIN remote_actors tr ON tr.id = r.target_remote_id
            WHERE r.resolved_at IS NULL ORDER BY r.id DESC LIMIT $1""", limit)
    return [ReportView(_report(r), r["reporter_name"], r["target_name"]) for r in rows]
