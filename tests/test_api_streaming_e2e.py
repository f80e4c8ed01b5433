"""Streaming end to end: real `hearth serve` processes on one PostgreSQL, the
real Mastodon.py library over server-sent events, and a real WebSocket
client (the `websockets` library)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest
from mastodon import Mastodon, StreamListener
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.conftest import PASSWORD, Instance, signup_over_http
from tests.processes import SERVING, START_TIMEOUT, HearthProcess

pytestmark = pytest.mark.slow
SCOPES = ["read", "write", "follow"]
DEADLINE = 10.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _second_process(instance: Instance) -> Iterator[str]:
    """Another `hearth serve` on the instance's database (as behind a load
    balancer); yields its address."""
    port = _free_port()
    assert instance.logs is not None
    process = HearthProcess(["serve", "--port", str(port), "--no-workers"], instance.env,
                            instance.logs, instance.logs / "second-serve.stderr")
    try:
        process.wait_for_line(SERVING, START_TIMEOUT)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.close()


@pytest.fixture
def hearth(instances: Any) -> Instance:
    instance: Instance = instances("hearth")
    for name in ("river", "stone"):
        with instance.client() as http:
            assert signup_over_http(http, name).status_code == 201
    return instance


def _logged_in(url: str, username: str) -> Mastodon:
    client_id, client_secret = Mastodon.create_app("Stream test", scopes=SCOPES,
                                                   api_base_url=url)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=url,
                   request_timeout=15)
    api.log_in(username, PASSWORD, scopes=SCOPES, allow_http=True)
    return api


class Recorder(StreamListener):
    def __init__(self) -> None:
        self.updates: list[tuple[float, Any]] = []
        self.arrived = threading.Event()

    def on_update(self, status: Any) -> None:
        self.updates.append((time.monotonic(), status))
        self.arrived.set()


def _wait(condition: Any, what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"{what} within {deadline} s")
        time.sleep(0.02)


def test_mastodon_py_stream_receives_within_a_second_a_post_made_through_another_process(
        hearth):
    reader = _logged_in(hearth.url, "river")
    recorder = Recorder()
    handle = reader.stream_user(recorder, run_async=True)
    try:
        _wait(handle.is_receiving, "the stream did not open")
        with _second_process(hearth) as other:
            writer = _logged_in(other, "river")
            posted_at = time.monotonic()
            status = writer.status_post("Ninety days, one at a time.", visibility="public")
            assert recorder.arrived.wait(DEADLINE), "no update arrived"
            arrived_at, update = recorder.updates[0]
            assert update.id == status.id
            assert "Ninety days" in update.content
            assert arrived_at - posted_at < 1.0, f"took {arrived_at - posted_at:.3f} s"
    finally:
        handle.close()


def _token(instance: Instance, username: str, scope: str = "read write") -> dict[str, str]:
    with instance.client() as http:
        app = http.post("/api/v1/apps", data={
            "client_name": "ws", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": scope}).json()
        token = http.post("/oauth/token", data={
            "grant_type": "password", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "username": username,
            "password": PASSWORD, "scope": scope}).json()["access_token"]
    return {"token": token, "client_id": app["client_id"],
            "client_secret": app["client_secret"]}


def _post(instance: Instance, token: str, text: str, visibility: str = "public") -> str:
    with instance.client() as http:
        response = http.post("/api/v1/statuses", headers={"authorization": f"Bearer {token}"},
                             data={"status": text, "visibility": visibility})
    assert response.status_code == 200, response.text
    status_id: str = response.json()["id"]
    return status_id


def _ws_url(instance: Instance, query: str = "") -> str:
    return instance.url.replace("http://", "ws://") + "/api/v1/streaming" + query


def _event(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(ws.recv(timeout=DEADLINE))
    return message


def test_websocket_subscribe_and_unsubscribe(hearth):
    river = _token(hearth, "river")["token"]
    with connect(_ws_url(hearth, f"?access_token={river}&stream=user")) as ws:
        first = _post(hearth, river, "Morning check-in done.")
        event = _event(ws)
        assert (event["stream"], event["event"]) == (["user"], "update")
        assert json.loads(event["payload"])["id"] == first
        ws.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "Recovery"}))
        ws.send(json.dumps({"type": "unsubscribe", "stream": "user"}))
        ws.send(json.dumps({"type": "subscribe", "stream": "nonsense"}))
        assert _event(ws) == {"error": "Unknown stream type", "status": 400}
        second = _post(hearth, river, "Grateful today #recovery")
        event = _event(ws)
        assert (event["stream"], event["event"]) == (["hashtag", "recovery"], "update")
        assert json.loads(event["payload"])["id"] == second
        with pytest.raises(TimeoutError):  # nothing more: no user stream any longer
            ws.recv(timeout=0.5)


def test_websocket_takes_the_token_as_its_protocol_and_refuses_a_bad_one_line_30(hearth):
    river = _token(hearth, "river")["token"]
    with connect(_ws_url(hearth), subprotocols=[river]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == river
        ws.send(json.dumps({"type": "subscribe", "stream": "public:local"}))
        posted = _post(hearth, river, "Hello, local people.")
        event = _event(ws)
        assert event["stream"] == ["public:local"]
        assert json.loads(event["payload"])["id"] == posted
    with pytest.raises(InvalidStatus) as refused:
        connect(_ws_url(hearth, "?access_token=not-a-token&stream=user"))
    assert refused.value.response.status_code == 401


def test_a_followers_only_post_never_reaches_another_members_public_stream(hearth):
    river, stone = _token(hearth, "river")["token"], _token(hearth, "stone")["token"]
    with connect(_ws_url(hearth, f"?access_token={stone}&stream=public")) as ws:
        _post(hearth, river, "Only for my followers.", visibility="private")
        public = _post(hearth, river, "For everyone.")
        event = _event(ws)  # the later public post is the first to arrive
        assert json.loads(event["payload"])["id"] == public
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.5)


def test_revoking_the_token_closes_its_open_streams_line_30(hearth):
    river = _token(hearth, "river")
    lines: list[str] = []
    opened = threading.Event()

    def read() -> None:
        with httpx2.stream("GET", hearth.url + "/api/v1/streaming/user",
                           headers={"authorization": f"Bearer {river['token']}"},
                           timeout=DEADLINE * 3) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            opened.set()
            lines.extend(response.iter_lines())
        lines.append("<closed>")

    sse = threading.Thread(target=read, daemon=True)
    sse.start()
    assert opened.wait(DEADLINE)
    with connect(_ws_url(hearth, f"?access_token={river['token']}&stream=user")) as ws:
        with hearth.client() as http:
            revoked = http.post("/oauth/revoke", data={
                "client_id": river["client_id"], "client_secret": river["client_secret"],
                "token": river["token"]})
        assert revoked.status_code == 200
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=DEADLINE)
    sse.join(DEADLINE)
    assert not sse.is_alive() and lines[-1] == "<closed>"
    with httpx2.Client(base_url=hearth.url) as http:
        again = http.get("/api/v1/streaming/user",
                         headers={"authorization": f"Bearer {river['token']}"})
    assert again.status_code == 401
