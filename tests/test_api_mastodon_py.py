"""End to end with a real Mastodon client library: Mastodon.py against a real
`hearth serve` process registers an app, logs in with the password grant and
with an authorization code (out of band, the consent page driven over plain
HTTP), and makes the calls clients make as they start."""

from __future__ import annotations

import re

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError

from tests.conftest import PASSWORD, csrf_from, signup_over_http

pytestmark = pytest.mark.slow
SCOPES = ["read", "write", "follow", "push"]


def _app(url: str) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        "Hearth test", scopes=SCOPES, api_base_url=url)
    return Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=url,
                    request_timeout=15)


def test_mastodon_py_logs_in_with_a_password_and_makes_start_up_calls(instances):
    hearth = instances("hearth")
    with hearth.client() as http:
        assert signup_over_http(http, "river").status_code == 201
    api = _app(hearth.url)
    token = api.log_in("river", PASSWORD, scopes=SCOPES, allow_http=True)
    assert token
    me = api.account_verify_credentials()
    assert me.username == "river" and me.acct == "river"
    assert me.source.note == ""
    v1 = api.instance_v1()
    assert v1.version.startswith("4.3.0 (compatible; Hearth ")
    assert v1.stats.user_count == 1
    v2 = api.instance_v2()
    assert v2.api_versions["mastodon"] == 2
    assert v2.configuration.urls.streaming.startswith("ws://127.0.0.1:")
    assert v2.rules and v2.rules[0].text.startswith("Be kind")
    assert api.instance_rules()[0].id == "1"
    assert api.lists() == []
    assert api.filters_v2() == []
    assert api.followed_tags() == []
    assert api.trending_tags() == []
    assert api.suggestions() == []
    assert api.announcements() == []
    assert api.custom_emojis() == []
    assert api.preferences()["posting:default:visibility"] in ("public", "private")
    with pytest.raises(MastodonNotFoundError):
        api.push_subscription()
    api.revoke_access_token(allow_http=True)
    with pytest.raises(MastodonAPIError):
        Mastodon(access_token=token, api_base_url=hearth.url).account_verify_credentials()


def test_mastodon_py_logs_in_with_an_oob_authorization_code(instances):
    hearth = instances("hearth")
    api = _app(hearth.url)
    url = api.auth_request_url(scopes=SCOPES, allow_http=True)
    with hearth.client() as http:
        assert signup_over_http(http, "river").status_code == 201
        page = http.get(url)
        assert page.status_code == 200, page.text
        fields = dict(re.findall(
            r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page.text))
        fields.update(csrf_token=csrf_from(page.text), decision="authorize")
        shown = http.post("/oauth/authorize", data=fields)
    assert shown.status_code == 200, shown.text
    match = re.search(r'id="authorization-code"[^>]*>([^<]+)<', shown.text)
    assert match
    api.log_in(code=match.group(1), scopes=SCOPES, allow_http=True)
    assert api.account_verify_credentials().username == "river"
    assert api.app_verify_credentials().name == "Hearth test"
