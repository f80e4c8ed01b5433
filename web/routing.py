"""Route lookup by path segment. Starlette tries an app's routes one by one
until one matches; with the client API Hearth has over 400, and matching a
request to ``/api/v1/timelines/home`` that way took about 150 regular
expressions, half a millisecond of CPU on the development machine (a tenth
of the request). ``PathIndex`` keys routes by their literal path segments,
level by level, so a request is tried only against the routes that share its
segments: a dictionary look-up per level, then a few regular expressions.

The routes themselves are unchanged (full paths, their own regular
expressions, ``url_for`` names), so are 404, 405 and trailing-slash
redirects. One rule is added: at each level, a literal segment is tried
before a parameter (``/api/v1/accounts/lookup`` before
``/api/v1/accounts/{id}``), as most routers do; routes keep their order
otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Match, NoMatchFound, Route, WebSocketRoute, get_route_path
from starlette.types import Receive, Scope, Send

GROUP_MIN = 4  # fewer routes than this are as cheap to try one by one
_MATCHED = "hearth.route"  # the scope key naming the route that matched


def indexed(routes: Sequence[BaseRoute]) -> list[BaseRoute]:
    """``routes`` for a Starlette app: those with a literal first segment in
    one ``PathIndex`` standing where the first of them stood, the others
    (``/@{username}``, mounts) where they were."""
    keyed = [route for route in routes if _segment(route, 0) is not None]
    if not keyed:
        return list(routes)
    index = PathIndex(keyed, 0)
    out: list[BaseRoute] = []
    for route in routes:
        if _segment(route, 0) is None:
            out.append(route)
        elif route is keyed[0]:
            out.append(index)
    return out


class PathIndex(BaseRoute):
    """Routes keyed by their literal segment at ``depth`` (0 is the first
    segment after the leading slash); deeper levels are indexed again when a
    key holds enough routes. ``rest`` holds the routes whose segment there is
    a parameter or that end before it, tried after the keyed ones."""

    def __init__(self, routes: Sequence[BaseRoute], depth: int) -> None:
        self.routes = list(routes)  # in order, for url_path_for
        self.depth = depth
        groups: dict[str, list[BaseRoute]] = {}
        self.rest: list[BaseRoute] = []
        for route in routes:
            key = _segment(route, depth)
            if key is None:
                self.rest.append(route)
            else:
                groups.setdefault(key, []).append(route)
        self.keyed: dict[str, list[BaseRoute]] = {
            key: _deeper(members, depth + 1) for key, members in groups.items()}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] not in ("http", "websocket"):
            return Match.NONE, {}
        parts = get_route_path(scope).split("/", self.depth + 2)
        keyed = self.keyed.get(parts[self.depth + 1]) if len(parts) > self.depth + 1 else None
        partial: Scope | None = None
        for candidates in (keyed or (), self.rest):
            for route in candidates:
                match, child = route.matches(scope)
                if match is Match.FULL:
                    return Match.FULL, {**child, _MATCHED: child.get(_MATCHED, route)}
                if match is Match.PARTIAL and partial is None:
                    partial = {**child, _MATCHED: child.get(_MATCHED, route)}
        if partial is not None:
            return Match.PARTIAL, partial
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope[_MATCHED].handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)


def _deeper(routes: list[BaseRoute], depth: int) -> list[BaseRoute]:
    """A key's routes: indexed again at ``depth`` when there are enough of
    them with a literal segment there, the rest after them in order."""
    keyed = [route for route in routes if _segment(route, depth) is not None]
    if len(keyed) < GROUP_MIN:
        return routes
    return [PathIndex(keyed, depth), *(r for r in routes if _segment(r, depth) is None)]


def _segment(route: BaseRoute, depth: int) -> str | None:
    """The route's path segment at ``depth`` if it is literal text, else
    None (a parameter, a path that ends before it, or not a plain route)."""
    if not isinstance(route, (Route, WebSocketRoute)):
        return None
    parts = route.path.split("/")
    if len(parts) <= depth + 1 or "{" in parts[depth + 1]:
        return None
    return parts[depth + 1]
