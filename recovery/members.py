"""Member accounts: sign-up, log-in, passwords, recovery codes, roles, deletion."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from recovery import actors, credentials, events, store
from recovery.errors import InvalidInput, LoginRefused, NotFound, PermissionDenied, RateLimited
from recovery.models import Member, Registered, Registration, Role, Status

USERNAME_MAX = 30
DISPLAY_NAME_MAX = 60
BIO_MAX = 1000
LOGIN_FAILURE_LIMIT = 5
LOGIN_WINDOW_SECONDS = 15 * 60

_USERNAME = re.compile(r"[A-Za-z0-9_]{1,30}")
# Names a visitor could mistake for the instance speaking, or that later
# routes and federation use.
_RESERVED = frozenset({
    "admin", "administrator", "root", "system", "hearth", "instance", "actor",
    "moderator", "moderators", "mod", "mods", "staff", "support", "help",
    "crisis", "about", "settings", "login", "logout", "signup", "inbox", "outbox",
    "api", "www", "postmaster", "webmaster", "abuse", "security", "null", "undefined",
})


def validate_username(raw: str) -> str:
    username = raw.strip().removeprefix("@")
    if not username:
        raise InvalidInput("username", "Choose a username.")
    if len(username) > USERNAME_MAX:
        raise InvalidInput("username", f"Usernames are at most {USERNAME_MAX} characters.")
    if not _USERNAME.fullmatch(username):
        raise InvalidInput(
            "username", "Usernames may use only letters a-z, digits and underscores."
        )
    if username.lower() in _RESERVED:
        raise InvalidInput("username", "That username is reserved. Please choose another.")
    return username


def _clean_text(value: str, field: str, label: str, limit: int, multiline: bool) -> str:
    text = unicodedata.normalize("NFC", value).strip()
    allowed = {"\n", "\t"} if multiline else set()
    text = "".join(ch for ch in text if ch in allowed or unicodedata.category(ch) != "Cc")
    if len(text) > limit:
        raise InvalidInput(field, f"{label} can be at most {limit} characters.")
    return text


async def register(
    conn: Any,
    username: str,
    password: str,
    *,
    accepted_guidelines: bool,
    registration: Registration,
    invite_code: str | None = None,
    role: Role = Role.MEMBER,
) -> Registered:
    """Create an account. Run inside a transaction: an invite use and the
    account commit together or not at all."""
    username = validate_username(username)
    credentials.check_password_rules(password, username)
    if not accepted_guidelines:
        raise InvalidInput(
            "accept", "Please read the guidelines and confirm that you accept them."
        )
    if await store.username_is_retired(conn, username):
        raise InvalidInput("username", "That username is not available. Please choose another.")
    if registration is Registration.INVITE and not await store.claim_invite(
        conn, (invite_code or "").strip()
    ):
        raise InvalidInput(
            "invite", "This invite link is not valid any more. Ask a moderator for a new one."
        )
    status = Status.PENDING if registration is Registration.APPROVAL else Status.ACTIVE
    password_hash = await credentials.hash_password(password)
    member = await store.insert_member(conn, username, password_hash, role, status)
    if member is None:
        raise InvalidInput("username", "That username is taken. Please choose another.")
    await store.insert_member_keys(conn, member.id, await actors.new_key_pair())
    codes = await _issue_recovery_codes(conn, member.id)
    return Registered(member, codes)


async def _issue_recovery_codes(conn: Any, member_id: int) -> list[str]:
    codes = credentials.new_recovery_codes()
    await store.replace_recovery_codes(
        conn, member_id, [credentials.hash_recovery_code(c) for c in codes]
    )
    return codes


async def _refuse_if_locked(conn: Any, member_id: int) -> None:
    wait = await store.login_lock_seconds(
        conn, member_id, LOGIN_FAILURE_LIMIT, LOGIN_WINDOW_SECONDS
    )
    if wait:
        minutes = max(1, round(wait / 60))
        raise RateLimited(
            f"Too many failed attempts for this account. Try again in about {minutes} "
            f"minute{'s' if minutes != 1 else ''}.",
            retry_after=wait,
        )


async def authenticate(conn: Any, username: str, password: str) -> Member:
    """The member these credentials belong to, or LoginRefused / RateLimited.

    Call it outside a transaction: a failed attempt must be counted even
    though the call raises."""
    found = await store.get_credentials(conn, username.strip().removeprefix("@"))
    if found is not None:
        await _refuse_if_locked(conn, found.member.id)
    ok = await credentials.verify_password(found.password_hash if found else None, password)
    if found is None or not ok:
        if found is not None:
            await store.record_login_failure(conn, found.member.id, LOGIN_WINDOW_SECONDS)
        raise LoginRefused("That username and password do not match.")
    await store.clear_login_failures(conn, found.member.id)
    _refuse_inactive(found.member)
    return found.member


def _refuse_inactive(member: Member) -> None:
    if member.status is Status.PENDING:
        raise LoginRefused(
            "Your account is waiting for a moderator's approval. Please try again later."
        )
    if member.status is Status.SUSPENDED:
        raise LoginRefused("This account is suspended. Contact the community's moderators.")


async def reset_password(conn: Any, username: str, code: str, new_password: str) -> Member:
    """Set a new password with a one-time recovery code; ends every session.

    Call it outside a transaction, like ``authenticate``."""
    found = await store.get_credentials(conn, username.strip().removeprefix("@"))
    refusal = LoginRefused("That username and recovery code do not match.")
    if found is None:
        raise refusal
    await _refuse_if_locked(conn, found.member.id)
    credentials.check_password_rules(new_password, found.member.username)
    new_hash = await credentials.hash_password(new_password)
    member_id = found.member.id
    async with conn.transaction():  # the code is spent only with the change
        used = await store.use_recovery_code(
            conn, member_id, credentials.hash_recovery_code(code)
        )
        if used:
            await store.set_password_hash(conn, member_id, new_hash)
            await store.delete_member_sessions(conn, member_id)
            await store.clear_login_failures(conn, member_id)
    if not used:
        await store.record_login_failure(conn, member_id, LOGIN_WINDOW_SECONDS)
        raise refusal
    return found.member


async def _check_current_password(conn: Any, member_id: int, password: str) -> Member:
    found = await store.get_credentials_by_id(conn, member_id)
    if found is None:
        raise NotFound("This account no longer exists.")
    if not await credentials.verify_password(found.password_hash, password):
        raise InvalidInput("current_password", "Your current password is not right.")
    return found.member


async def change_password(
    conn: Any, member_id: int, current: str, new: str, keep_session: bytes | None
) -> None:
    """Change the password and end every other session of the member."""
    member = await _check_current_password(conn, member_id, current)
    credentials.check_password_rules(new, member.username)
    await store.set_password_hash(conn, member_id, await credentials.hash_password(new))
    await store.delete_member_sessions(conn, member_id, keep=keep_session)


async def regenerate_recovery_codes(conn: Any, member_id: int, password: str) -> list[str]:
    await _check_current_password(conn, member_id, password)
    return await _issue_recovery_codes(conn, member_id)


async def unused_recovery_codes(conn: Any, member_id: int) -> int:
    return await store.count_unused_recovery_codes(conn, member_id)


async def confirm_deletion(conn: Any, member_id: int, password: str, confirm: str) -> Member:
    """The member, when the password and the typed username confirm they
    want their account deleted; InvalidInput otherwise."""
    member = await _check_current_password(conn, member_id, password)
    if confirm.strip().lower() != member.username.lower():
        raise InvalidInput("confirm", "Type your username exactly to confirm.")
    return member


async def remove(conn: Any, member: Member, *, keep_key: bool = False) -> None:
    """Remove the member and everything of theirs; the name is never reused.
    ``keep_key``: the Delete of their actor is queued, to be signed with
    their key, so the key (and what is left of the row: id and username)
    stays until ``purge_removed`` finds those deliveries done."""
    if keep_key:
        await store.retire_member(conn, member.id)
    else:
        await store.delete_member(conn, member.id)
    await store.retire_username(conn, member.username)
    await events.tokens_changed(conn)  # their open streams close now


async def delete_account(conn: Any, member_id: int, password: str, confirm: str) -> None:
    """Confirm and remove at once, for an account nobody elsewhere knows."""
    await remove(conn, await confirm_deletion(conn, member_id, password, confirm))


async def purge_removed(conn: Any) -> int:
    """Forget the keys of deleted members whose Deletes are all delivered
    (or given up); how many went."""
    return await store.purge_retired_members(conn)


async def update_profile(
    conn: Any, member_id: int, display_name: str, bio: str, *,
    manually_approves_followers: bool, discoverable: bool,
) -> Member:
    name = _clean_text(display_name, "display_name", "Display name", DISPLAY_NAME_MAX, False)
    about = _clean_text(bio, "bio", "About you", BIO_MAX, True)
    return await store.update_profile(
        conn, member_id, name, about, manually_approves_followers, discoverable
    )


async def get_profile(conn: Any, username: str) -> Member:
    """A member others may see: active accounts only."""
    member = await store.get_member_by_username(conn, username)
    if member is None or member.status is not Status.ACTIVE:
        raise NotFound("There is no member with that name here.")
    return member


async def _get(conn: Any, username: str) -> Member:
    member = await store.get_member_by_username(conn, username.strip().removeprefix("@"))
    if member is None:
        raise NotFound(f"There is no member named {username.strip()!r}.")
    return member


async def set_role(conn: Any, username: str, role: Role) -> Member:
    member = await _get(conn, username)
    await store.set_role(conn, member.id, role)
    return await _get(conn, username)


async def set_role_by(conn: Any, actor: Member, username: str, role: Role) -> Member:
    """An admin changes someone's role; nobody demotes themself by accident."""
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("Only admins can change roles.")
    if username.lower() == actor.username.lower():
        raise PermissionDenied("Ask another admin to change your own role.")
    return await set_role(conn, username, role)


async def approve(conn: Any, actor: Member | None, username: str) -> Member:
    """A moderator (or the operator, with no actor) lets a pending member in."""
    if actor is not None and not actor.is_moderator:
        raise PermissionDenied("Only moderators can approve sign-ups.")
    member = await _get(conn, username)
    if member.status is not Status.PENDING:
        raise InvalidInput("username", f"{member.username} is not waiting for approval.")
    await store.set_status(conn, member.id, Status.ACTIVE)
    return await _get(conn, username)


async def reject(conn: Any, actor: Member | None, username: str) -> None:
    """Turn down a pending sign-up: the account is removed, the name stays free."""
    if actor is not None and not actor.is_moderator:
        raise PermissionDenied("Only moderators can turn down sign-ups.")
    member = await _get(conn, username)
    if member.status is not Status.PENDING:
        raise InvalidInput("username", f"{member.username} is not waiting for approval.")
    await store.delete_member(conn, member.id)


async def list_members(conn: Any, status: Status | None = None) -> list[Member]:
    return await store.list_members(conn, status)
