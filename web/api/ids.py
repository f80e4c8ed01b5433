"""Account ids for the API. Accounts live in two tables (members, remote
actors); each gets a distinct, stable numeric string: member m -> 2m, remote
actor r -> 2r + 1. Status ids are posts.id as a string."""

from __future__ import annotations

from recovery.models import Party

_MAX_DIGITS = 19


def account_id(party: Party) -> str:
    if party.member_id is not None:
        return str(2 * party.member_id)
    assert party.remote_id is not None
    return str(2 * party.remote_id + 1)


def member_account_id(member_id: int) -> str:
    return str(2 * member_id)


def remote_account_id(remote_id: int) -> str:
    return str(2 * remote_id + 1)


def parse_account_id(value: str) -> Party | None:
    """The member or remote actor an account id names; None when it names none."""
    if not value.isdigit() or len(value) > _MAX_DIGITS:
        return None
    number = int(value)
    if number < 2:
        return None
    return Party(member_id=number // 2) if number % 2 == 0 else Party(remote_id=number // 2)


def parse_status_id(value: str) -> int | None:
    if not value.isdigit() or len(value) > _MAX_DIGITS:
        return None
    number = int(value)
    return number if number > 0 else None
