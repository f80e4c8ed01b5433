"""Decoding and encoding images again with Pillow, so nothing of the
original file but its pixels survives: no EXIF (camera, GPS position), no
XMP, no ICC profile or comments. Pure functions on bytes; the service runs
them in a thread."""

from __future__ import annotations

import io
import warnings
from functools import cache

import blurhash
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from recovery.errors import InvalidInput
from recovery.media_models import ProcessedImage

MAX_BYTES = 8 * 1024 * 1024  # web/api/instance.py IMAGE_SIZE_LIMIT
MAX_PIXELS = 4096 * 4096  # web/api/instance.py IMAGE_MATRIX_LIMIT
MAX_SIDE = 1920  # larger images are scaled down to this (Settings.media_max_side)
PREVIEW_SIDE = 400
AVATAR_SIZE = (400, 400)
HEADER_SIZE = (1500, 500)
# What is accepted, and what it is stored as (a GIF keeps its first frame, as a PNG).
_FORMATS = {"JPEG": ("JPEG", "image/jpeg", "jpg"), "PNG": ("PNG", "image/png", "png"),
            "WEBP": ("WEBP", "image/webp", "webp"), "GIF": ("PNG", "image/png", "png")}
NOT_AN_IMAGE = "The file is not an image Hearth can read (JPEG, PNG, WebP or GIF)."
TOO_LARGE = "The image is too large: at most 8 MB and 4096 x 4096 pixels."


def process(raw: bytes, max_side: int = MAX_SIDE, *,
            fit: tuple[int, int] | None = None) -> ProcessedImage:
    """The image in ``raw`` re-encoded without metadata: scaled down to
    ``max_side``, or cropped and scaled to exactly ``fit`` (avatars, headers).
    InvalidInput("file", ...) for anything else than a readable image of an
    accepted format and size."""
    if len(raw) > MAX_BYTES:
        raise InvalidInput("file", TOO_LARGE)
    image = _open(raw)
    kind, media_type, extension = _FORMATS[image.format or ""]
    pixels = _pixels(image)
    if fit is not None:
        pixels = ImageOps.fit(pixels, fit, Image.Resampling.LANCZOS)
    elif max(pixels.size) > max_side:
        pixels.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    preview = pixels.copy()
    preview.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS)
    return ProcessedImage(
        data=_encode(pixels, kind), media_type=media_type, extension=extension,
        width=pixels.width, height=pixels.height,
        preview=_encode(preview, kind), preview_width=preview.width,
        preview_height=preview.height, blurhash=_blurhash(preview),
    )


def _open(raw: bytes) -> Image.Image:
    """The image, header read only: its format and size checked before any
    pixel is decoded (decompression bombs are refused here)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput("file", TOO_LARGE) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise InvalidInput("file", NOT_AN_IMAGE) from None
    if image.format not in _FORMATS:
        raise InvalidInput("file", NOT_AN_IMAGE)
    if image.width * image.height > MAX_PIXELS or min(image.size) < 1:
        raise InvalidInput("file", TOO_LARGE)
    return image


def _pixels(image: Image.Image) -> Image.Image:
    """Only the pixels, the right way up (EXIF orientation applied), of the
    first frame, in a mode every output format takes."""
    try:
        image.seek(0)
        upright = ImageOps.exif_transpose(image) or image
        alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        mode = "RGBA" if alpha and image.format != "JPEG" else "RGB"
        clean = _to_srgb(upright.convert(mode), image.info.get("icc_profile"))
        clean.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise InvalidInput("file", NOT_AN_IMAGE) from None
    clean.info.clear()
    return clean


def _to_srgb(pixels: Image.Image, icc: bytes | None) -> Image.Image:
    """Colours in sRGB, so a wide-gamut photo (a phone's Display P3) looks
    right once its ICC profile is dropped; as they are if the profile is bad."""
    if not icc:
        return pixels
    try:
        converted = ImageCms.profileToProfile(
            pixels, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _srgb(), outputMode=pixels.mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return pixels
    return converted or pixels


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _encode(pixels: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    if kind == "JPEG":
        pixels.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif kind == "WEBP":
        pixels.save(out, "WEBP", quality=85)
    else:
        pixels.save(out, "PNG", optimize=True)
    return out.getvalue()


def _blurhash(preview: Image.Image) -> str | None:
    """Mastodon's blurhash, from a 32-pixel copy (a few milliseconds)."""
    small = preview.convert("RGB")
    small.thumbnail((32, 32))
    flat = list(small.tobytes())
    width = small.width * 3
    rows = [[flat[y * width + x:y * width + x + 3] for x in range(0, width, 3)]
            for y in range(small.height)]
    try:
        return str(blurhash.encode(rows, components_x=4, components_y=3))
    except (ValueError, ZeroDivisionError):
        return None
