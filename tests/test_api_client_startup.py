"""What Tusky, Ivory, Elk and Phanpy do right after a member logs in, replayed
against the app: each registers itself with its own redirect URI, gets a
token through the consent page (Phanpy with PKCE), then makes its start-up
calls; every call answers 200 with the fields the client parses, of the
types it parses them as.

Where the sequences come from (read, not copied):
- Tusky (tuskyapp/Tusky): LoginActivity, MainViewModel (verify_credentials,
  announcements), InstanceInfoRepository (v2 instance, custom emojis),
  FilterModel (v2 filters), the home timeline and notifications tabs (with
  the notifications marker), the lists in the drawer, and the notification
  policy; field types from its entity classes (Account, Status, Instance...).
- Elk (elk-zone/elk): composables/users.ts (verify_credentials with
  preferences), masto.ts (v2 instance), notification.ts (marker, then 30
  notifications), emojis.ts, TimelineHome.vue (home, followed tags), lists.
- Phanpy (cheeaun/phanpy): utils/api.js (v2 instance, NodeInfo,
  verify_credentials, preferences), following.jsx (home, 20), and since the
  instance reports api_versions.mastodon 2, grouped notifications, follow
  requests, announcements, the notification policy and requests.
- Ivory is closed source: the requests it makes on login as logged by server
  operators (GoToSocial issue 1339, quoted in jointakahe/takahe issue 473);
  it needs numeric ids."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import signup
from tests.helpers_api import bearer, consent, module_client, password_token, register_app

SCOPES = "read write follow push"
VERIFIER = "phanpy-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"


# -- shapes: what each client's parser requires ----------------------------------

def digits(value: Any) -> bool:
    """An id as Ivory needs it: a string of digits."""
    return isinstance(value, str) and value.isdigit()


def date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def visibility(value: Any) -> bool:
    return value in ("public", "unlisted", "private", "direct")


def nullable(shape: Any) -> Callable[[Any], bool]:
    def null_or(value: Any) -> bool:
        if value is not None:
            check(value, shape, "(nullable)")
        return True
    return null_or


def check(value: Any, shape: Any, where: str) -> None:
    """Assert ``value`` has ``shape``: a dict of required keys, a one-item
    list (every item has that shape), a type, or a predicate."""
    if isinstance(shape, dict):
        assert isinstance(value, dict), f"{where} is not an object: {value!r}"
        for key, inner in shape.items():
            assert key in value, f"{where}.{key} is missing"
            check(value[key], inner, f"{where}.{key}")
    elif isinstance(shape, list):
        assert isinstance(value, list), f"{where} is not a list: {value!r}"
        for n, item in enumerate(value):
            check(item, shape[0], f"{where}[{n}]")
    elif shape is int:
        assert type(value) is int, f"{where} is not an integer: {value!r}"
    elif isinstance(shape, type):
        assert isinstance(value, shape), f"{where} is not {shape.__name__}: {value!r}"
    else:
        assert shape(value), f"{where} is not as expected: {value!r}"


EMOJI = {"shortcode": str, "url": str, "static_url": str}
TIMELINE_ACCOUNT = {"id": digits, "username": str, "acct": str, "display_name": str,
                    "url": str, "avatar": str, "note": str, "bot": bool, "emojis": [EMOJI]}
ACCOUNT = {**TIMELINE_ACCOUNT, "created_at": date, "header": str, "locked": bool,
           "followers_count": int, "following_count": int, "statuses_count": int,
           "fields": [{"name": str, "value": str}]}
CREDENTIAL_ACCOUNT = {**ACCOUNT, "source": {"privacy": visibility, "sensitive": bool,
                                            "note": str, "fields": list}}
MENTION = {"id": digits, "url": str, "acct": str, "username": str}
STATUS = {"id": digits, "account": TIMELINE_ACCOUNT, "content": str, "created_at": date,
          "emojis": [EMOJI], "reblogs_count": int, "favourites_count": int,
          "replies_count": int, "sensitive": bool, "spoiler_text": str,
          "visibility": visibility, "media_attachments": list, "mentions": [MENTION],
          "tags": [{"name": str, "url": str}], "uri": str,
          "in_reply_to_id": nullable(digits), "reblog": nullable(dict)}
NOTIFICATION = {"id": digits, "type": str, "created_at": date, "account": TIMELINE_ACCOUNT,
                "group_key": str}
INSTANCE_V2 = {"domain": str, "version": str, "title": str,
               "api_versions": {"mastodon": int},
               "configuration": {"urls": {"streaming": str},
                                 "accounts": {"max_featured_tags": int},
                                 "statuses": {"max_characters": int,
                                              "max_media_attachments": int},
                                 "media_attachments": {"supported_mime_types": [str]},
                                 "polls": {"max_options": int}},
               "registrations": {"enabled": bool, "approval_required": bool},
               "rules": [{"id": str, "text": str}]}
PREFERENCES = {"posting:default:visibility": visibility, "posting:default:sensitive": bool,
               "posting:default:language": nullable(str), "reading:expand:media": str,
               "reading:expand:spoilers": bool}
MARKERS = {"notifications": {"last_read_id": digits, "version": int, "updated_at": date}}
FILTER_V2 = {"id": str, "title": str, "context": [str], "filter_action": str,
             "keywords": list}
LIST = {"id": str, "title": str}
POLICY = {"for_not_following": str, "for_not_followers": str, "for_new_accounts": str,
          "for_private_mentions": str, "for_limited_accounts": str,
          "summary": {"pending_requests_count": int, "pending_notifications_count": int}}
GROUPED = {"accounts": [ACCOUNT], "statuses": [STATUS],
           "notification_groups": [{"group_key": str, "notifications_count": int,
                                    "type": str, "most_recent_notification_id": digits,
                                    "sample_account_ids": [digits]}]}
NODEINFO_LINKS = {"links": [{"rel": str, "href": str}]}
NODEINFO = {"version": str, "software": {"name": str, "version": str}}
ANNOUNCEMENT = {"id": str, "content": str, "all_day": bool, "published_at": date,
                "mentions": list, "tags": list, "emojis": list, "reactions": list}


# -- the clients -------------------------------------------------------------------

@dataclass(frozen=True)
class Call:
    path: str  # "{me}": the member's account id; "{newest}": the newest home post's id
    shape: Any
    params: tuple[tuple[str, str], ...] = ()
    nonempty: bool = False


@dataclass(frozen=True)
class Client:
    name: str
    redirect_uri: str
    calls: tuple[Call, ...]
    pkce: bool = False
    website: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


_EXCLUDED = tuple(("exclude_types[]", t) for t in ("admin.sign_up", "admin.report"))
_IVORY_TYPES = tuple(("types[]", t) for t in (
    "mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update"))

TUSKY = Client("Tusky", "oauth2redirect://com.keylesspalace.tusky/", (
    Call("/api/v1/accounts/verify_credentials", CREDENTIAL_ACCOUNT),
    Call("/api/v1/announcements", [ANNOUNCEMENT]),
    Call("/api/v2/instance", INSTANCE_V2),
    Call("/api/v1/custom_emojis", [EMOJI]),
    Call("/api/v2/filters", [FILTER_V2]),
    Call("/api/v1/timelines/home", [STATUS], (("limit", "30"),), nonempty=True),
    Call("/api/v1/markers", MARKERS, (("timeline[]", "notifications"),)),
    Call("/api/v1/notifications", [NOTIFICATION], (("limit", "30"), *_EXCLUDED),
         nonempty=True),
    Call("/api/v1/lists", [LIST]),
    Call("/api/v2/notifications/policy", POLICY),
), website="https://tusky.app")

IVORY = Client("Ivory for iPhone", "com.tapbots.Ivory.10217:/request_token/"
               "5C1A3D6E-2B44-4F0C-9D7B-3E8E4A1F6B21", (
    Call("/api/v1/accounts/verify_credentials", CREDENTIAL_ACCOUNT),
    Call("/api/v1/timelines/home", [STATUS], (("limit", "40"),), nonempty=True),
    Call("/api/v1/accounts/{me}", ACCOUNT),
    Call("/api/v2/instance", INSTANCE_V2),
    Call("/api/v1/preferences", PREFERENCES),
    Call("/api/v1/timelines/home", [STATUS], (("limit", "40"), ("min_id", "{newest}"))),
    Call("/api/v1/lists", [LIST]),
    Call("/api/v1/accounts/{me}/statuses", [STATUS],
         (("exclude_reblogs", "1"), ("limit", "40")), nonempty=True),
    Call("/api/v1/notifications", [NOTIFICATION],
         (("limit", "100"), ("since_id", "0"), *_IVORY_TYPES), nonempty=True),
    Call("/api/v1/notifications", [NOTIFICATION],
         (("limit", "30"), ("types[]", "mention")), nonempty=True),
), website="https://tapbots.com/")

ELK = Client("Elk", "https://elk.zone/api/testserver/oauth/https%3A%2F%2Felk.zone", (
    Call("/api/v2/instance", INSTANCE_V2),
    Call("/api/v1/accounts/verify_credentials", CREDENTIAL_ACCOUNT),
    Call("/api/v1/preferences", PREFERENCES),
    Call("/api/v1/custom_emojis", [EMOJI]),
    Call("/api/v1/markers", MARKERS, (("timeline[]", "notifications"),)),
    Call("/api/v1/notifications", [NOTIFICATION], (("limit", "30"),), nonempty=True),
    Call("/api/v1/timelines/home", [STATUS], (("limit", "20"),), nonempty=True),
    Call("/api/v1/followed_tags", [{"name": str, "url": str}]),
    Call("/api/v1/lists", [LIST]),
), website="https://elk.zone")

PHANPY = Client("Phanpy", "https://phanpy.social/", (
    Call("/api/v2/instance", INSTANCE_V2),
    Call("/.well-known/nodeinfo", NODEINFO_LINKS),
    Call("/nodeinfo/2.0", NODEINFO),
    Call("/api/v1/accounts/verify_credentials", CREDENTIAL_ACCOUNT),
    Call("/api/v1/preferences", PREFERENCES),
    Call("/api/v1/timelines/home", [STATUS], (("limit", "20"),), nonempty=True),
    Call("/api/v1/markers", MARKERS, (("timeline[]", "notifications"),)),
    Call("/api/v2/notifications", GROUPED, (("limit", "20"),)),
    Call("/api/v1/follow_requests", [ACCOUNT], (("limit", "1"),)),
    Call("/api/v1/announcements", [ANNOUNCEMENT]),
    Call("/api/v2/notifications/policy", POLICY),
    Call("/api/v1/notifications/requests", list),
    Call("/api/v1/lists", [LIST]),
    Call("/api/v1/followed_tags", [{"name": str, "url": str}]),
    Call("/api/v1/custom_emojis", [EMOJI]),
), pkce=True, website="https://phanpy.social")


# -- arranging and logging in ------------------------------------------------------

def _arrange(client: Any) -> None:
    """river has posts, a follower (once a request), a favourite and a
    mention, and has read their notifications up to a point; sky is the
    other member. The web session stays river's."""
    signup(client, "sky")
    sky = bearer(password_token(client, register_app(client), "sky"))
    client.cookies.clear()
    signup(client, "river")
    river = bearer(password_token(client, register_app(client), "river"))
    river_id = client.get("/api/v1/accounts/verify_credentials", headers=river).json()["id"]
    post = client.post("/api/v1/statuses", headers=river, data={
        "status": "Day 10 #OneDay", "spoiler_text": "relapse", "visibility": "public"})
    assert post.status_code == 200, post.text
    assert client.post(f"/api/v1/accounts/{river_id}/follow", headers=sky).status_code == 200
    requester = client.get("/api/v1/follow_requests", headers=river).json()
    if requester:
        authorized = client.post(f"/api/v1/follow_requests/{requester[0]['id']}/authorize",
                                 headers=river)
        assert authorized.status_code == 200, authorized.text
    status_id = post.json()["id"]
    assert client.post(f"/api/v1/statuses/{status_id}/favourite",
                       headers=sky).status_code == 200
    mention = client.post("/api/v1/statuses", headers=sky, data={
        "status": "@river so proud of you", "visibility": "public",
        "in_reply_to_id": status_id})
    assert mention.status_code == 200, mention.text
    oldest = client.get("/api/v1/notifications", headers=river).json()[-1]["id"]
    marked = client.post("/api/v1/markers", headers=river,
                         data={"notifications[last_read_id]": oldest})
    assert marked.status_code == 200, marked.text


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _log_in(client: Any, app: Client) -> dict[str, str]:
    """The client's own login: register, consent (logged in as river),
    the code back at its redirect URI, the code for a token."""
    fields = {"client_name": app.name, "redirect_uris": app.redirect_uri, "scopes": SCOPES}
    if app.website:
        fields["website"] = app.website
    registered = client.post("/api/v1/apps", data=fields)
    assert registered.status_code == 200, registered.text
    creds = registered.json()
    query = {"response_type": "code", "client_id": creds["client_id"],
             "redirect_uri": app.redirect_uri, "scope": SCOPES}
    if app.pkce:
        query.update(code_challenge=_challenge(VERIFIER), code_challenge_method="S256")
    answer = consent(client, query)
    assert answer.status_code in (302, 303), answer.text
    location = answer.headers["location"]
    assert location.startswith(app.redirect_uri + "?"), location
    code = parse_qs(urlsplit(location).query)["code"][0]
    exchange = {"grant_type": "authorization_code", "code": code,
                "client_id": creds["client_id"], "redirect_uri": app.redirect_uri}
    if app.pkce:
        exchange["code_verifier"] = VERIFIER
    else:
        exchange["client_secret"] = creds["client_secret"]
    token = client.post("/oauth/token", data=exchange)
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == SCOPES
    return bearer(token.json()["access_token"])


def _fill(text: str, known: dict[str, str]) -> str:
    for name, value in known.items():
        text = text.replace("{" + name + "}", value)
    return text


# -- tests -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(pg_admin_url: str, template_name: str) -> Iterator[Any]:
    """One app and database for the module, arranged once; each test logs
    in anew (its own app and token), which changes nothing the others read."""
    with module_client(pg_admin_url, template_name) as shared:
        _arrange(shared)
        yield shared


@pytest.mark.parametrize("app", [TUSKY, IVORY, ELK, PHANPY], ids=lambda a: a.name.split()[0])
def test_each_start_up_call_answers_200_with_the_shape_the_client_parses(client, app):
    auth = _log_in(client, app)
    known: dict[str, str] = {}
    for call in app.calls:
        path = _fill(call.path, known)
        params = [(k, _fill(v, known)) for k, v in call.params]
        response = client.get(path, params=params, headers=auth)
        where = f"{app.name}: GET {path}"
        assert response.status_code == 200, f"{where} -> {response.status_code} {response.text}"
        body = response.json()
        check(body, call.shape, where)
        if call.nonempty:
            assert body, f"{where} is empty"
        if path == "/api/v1/accounts/verify_credentials":
            known["me"] = body["id"]
        if path == "/api/v1/timelines/home" and body:
            known["newest"] = body[0]["id"]


def test_grouped_notifications_carry_the_accounts_and_statuses_their_groups_name(client):
    auth = _log_in(client, PHANPY)
    v1 = client.get("/api/v1/notifications", headers=auth).json()
    response = client.get("/api/v2/notifications", headers=auth, params={"limit": "2"})
    assert response.status_code == 200, response.text
    body = response.json()
    groups = body["notification_groups"]
    assert [g["most_recent_notification_id"] for g in groups] == [n["id"] for n in v1[:2]]
    assert [g["type"] for g in groups] == [n["type"] for n in v1[:2]]
    assert all(g["notifications_count"] == 1 and g["group_key"] == f"ungrouped-{g['page_max_id']}"
               for g in groups)
    account_ids = {a["id"] for a in body["accounts"]}
    status_ids = {s["id"] for s in body["statuses"]}
    assert len(account_ids) == len(body["accounts"])
    assert all(set(g["sample_account_ids"]) <= account_ids for g in groups)
    assert {g["status_id"] for g in groups if "status_id" in g} == status_ids
    next_page = response.headers["link"].split(";")[0].strip("<>")
    older = client.get(next_page, headers=auth).json()["notification_groups"]
    assert [g["most_recent_notification_id"] for g in older] == [n["id"] for n in v1[2:]]


def test_grouped_notifications_and_policy_need_a_token_with_read(client):
    write_only = bearer(password_token(client, register_app(client), "river", scope="write"))
    for path in ("/api/v2/notifications", "/api/v2/notifications/policy",
                 "/api/v1/notifications/requests"):
        assert client.get(path).status_code == 401
        refused = client.get(path, headers=write_only)
        assert refused.status_code == 403 and refused.json()["error"]


def test_another_members_notifications_never_show_in_grouped_notifications(client):
    sky = bearer(password_token(client, register_app(client), "sky"))
    body = client.get("/api/v2/notifications", headers=sky).json()
    assert body == {"accounts": [], "statuses": [], "notification_groups": []}
