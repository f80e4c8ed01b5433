"""Serving uploaded media from the media directory at /media/<name>. Only
names Hearth generates are served (never a path outside the directory),
with the type their extension says, ``nosniff``, a CSP that lets nothing
run, and long cache headers (a file never changes: a new upload gets a new
name)."""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from recovery import images, media
from recovery.errors import InvalidInput
from recovery.media import MediaStore, media_type_of
from web.http import CsrfFailed, require_member, transaction
from web.security import CSRF_COOKIE, CSRF_FIELD
from web.settings import Settings

# Uploads may be this large (one image, or an avatar and a header at once).
UPLOAD_BODY_LIMIT = 17 * 1024 * 1024
UPLOAD_PATHS = ("/api/v1/media", "/api/v2/media", "/api/v1/accounts/update_credentials",
                "/settings/images")
HEADERS = {
    "cache-control": "public, max-age=31536000, immutable",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
    "cross-origin-resource-policy": "cross-origin",
}


def media_store(settings: Settings) -> MediaStore:
    return MediaStore(settings.media_path, settings.media_max_side)


def media_url(settings: Settings, name: str | None) -> str | None:
    return f"{settings.url}/media/{name}" if name else None


async def serve(request: Request) -> Response:
    name = request.path_params["name"]
    path = media_store(request.app.state.settings).path(name)
    if path is None or not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, media_type=media_type_of(name), headers=HEADERS)


async def update_images(request: Request) -> Response:
    """The settings page's avatar and header form (multipart, CSRF-checked)."""
    from web import profile_updates  # imports web.routes.actors, which imports this module

    member = await require_member(request)
    files = media_store(request.app.state.settings)
    async with request.form(max_files=2, max_fields=10) as data:
        _check_csrf(request, data)
        uploads = {which: await _read(data, which) for which in ("avatar", "header")}
    setters = {"avatar": media.set_avatar, "header": media.set_header}
    async with transaction(request) as conn, profile_updates.announced(
            conn, request.app.state.settings, member):
        replaced = [(await setters[which](conn, files, member.id, raw))[1]
                    for which, raw in uploads.items() if raw]
    media.remove_files(files, *replaced)
    return RedirectResponse("/settings?saved=images", status_code=303)


def _check_csrf(request: Request, data: FormData) -> None:
    token = data.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not isinstance(token, str) or not request.app.state.signer.csrf_ok(cookie, token):
        raise CsrfFailed()


async def _read(data: FormData, which: str) -> bytes | None:
    upload = data.get(which)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None  # no file chosen
    raw = await upload.read(images.MAX_BYTES + 1)
    if len(raw) > images.MAX_BYTES:
        raise InvalidInput(which, images.TOO_LARGE)
    return raw or None


routes = [Route("/media/{name}", serve, methods=["GET", "HEAD"]),
          Route("/settings/images", update_images, methods=["POST"])]
