"""Media uploads (docs.joinmastodon.org/methods/media): POST /api/v2/media
and /api/v1/media (multipart ``file``, ``description``, ``focus``), GET and
PUT /api/v1/media/:id. Images are re-encoded without their metadata
(recovery.images) before anything is stored."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import images, media
from recovery.errors import InvalidInput
from web.api.entities import media_attachment
from web.api.http import ApiError, api_routes, authenticate_member, json_response, read_params
from web.api.instance import MEDIA_DESCRIPTION_LIMIT
from web.api.relationships import domain_errors
from web.http import connection, transaction
from web.routes.media import media_store

SCOPE = "write:media"


async def read_upload(request: Request, name: str = "file", *,
                      required: bool = True) -> bytes | None:
    """The bytes of an uploaded file field, read no further than the limit."""
    params = await read_params(request)
    upload = params.file(name)
    if upload is None:
        if required:
            raise ApiError(422, f"Validation failed: {name} is required")
        return None
    raw = await upload.read(images.MAX_BYTES + 1)
    if len(raw) > images.MAX_BYTES:
        raise ApiError(422, f"Validation failed: {images.TOO_LARGE}")
    return raw


async def create(request: Request) -> Response:
    _, member = await authenticate_member(request, SCOPE)
    params = await read_params(request)
    raw = await read_upload(request)
    assert raw is not None
    description = params.get_str("description", max_length=MEDIA_DESCRIPTION_LIMIT)
    settings = request.app.state.settings
    with domain_errors():
        async with transaction(request) as conn:
            found = await media.upload(conn, media_store(settings), member.id, raw,
                                       description=description,
                                       focus=params.get_str("focus"))
    return json_response(media_attachment(found, settings.url))


async def show(request: Request) -> Response:
    _, member = await authenticate_member(request, SCOPE)
    with domain_errors():
        async with connection(request) as conn:
            found = await media.own(conn, member.id, _media_id(request))
    return json_response(media_attachment(found, request.app.state.settings.url))


async def update(request: Request) -> Response:
    _, member = await authenticate_member(request, SCOPE)
    params = await read_params(request)
    description = params.get_str("description", max_length=MEDIA_DESCRIPTION_LIMIT)
    with domain_errors():
        async with transaction(request) as conn:
            found = await media.describe(conn, member.id, _media_id(request), description,
                                         params.get_str("focus"))
    return json_response(media_attachment(found, request.app.state.settings.url))


# -- avatars and headers (PATCH /api/v1/accounts/update_credentials) ---------------

async def profile_uploads(request: Request) -> dict[str, bytes]:
    """The ``avatar`` and ``header`` files sent, read (within the limit).
    A file field left empty, as a browser form sends it (no file name, no
    bytes: Phanpy's profile editor does), changes nothing."""
    params = await read_params(request)
    found = {}
    for which in ("avatar", "header"):
        upload = params.file(which)
        raw = await read_upload(request, which, required=False)
        if raw is not None and (raw or (upload is not None and upload.filename)):
            found[which] = raw
    return found


async def save_profile_uploads(conn: Any, request: Request, member_id: int,
                               uploads: dict[str, bytes]) -> list[str | None]:
    """Set the member's avatar and header from ``profile_uploads`` (in the
    caller's transaction); the files they replace, for ``remove_replaced``."""
    files = media_store(request.app.state.settings)
    setters = {"avatar": media.set_avatar, "header": media.set_header}
    replaced = []
    for which, raw in uploads.items():
        try:
            _, old = await setters[which](conn, files, member_id, raw)
        except InvalidInput as exc:
            raise InvalidInput(which, f"{which}: {exc.message}") from exc
        replaced.append(old)
    return replaced


def remove_replaced(request: Request, names: list[str | None]) -> None:
    """Once the change is committed: the replaced files go."""
    media.remove_files(media_store(request.app.state.settings), *names)


def _media_id(request: Request) -> int:
    raw = request.path_params["media_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise ApiError(404, "Record not found")
    return int(raw)


routes = [
    *api_routes("/api/v2/media", create, ["POST"]),
    *api_routes("/api/v1/media", create, ["POST"]),
    *api_routes("/api/v1/media/{media_id}", show, ["GET"]),
    *api_routes("/api/v1/media/{media_id}", update, ["PUT"]),
]
