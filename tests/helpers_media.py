"""Images made in the tests with Pillow: a JPEG carrying EXIF with a GPS
position, camera and comment, as phones write them, and checks that what a
server serves carries none of it."""

from __future__ import annotations

import io

from PIL import Image, ImageCms

GPS_IFD = 0x8825
MAKE, MODEL, ORIENTATION = 0x010F, 0x0110, 0x0112


def jpeg_with_gps(size: tuple[int, int] = (640, 480), orientation: int = 1) -> bytes:
    image = Image.new("RGB", size, (180, 90, 40))
    for x in range(0, size[0], 8):  # some detail, so the blurhash has something
        image.putpixel((x, size[1] // 2), (0, 0, 255))
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[ORIENTATION] = "PhoneCo", "Model 7", orientation
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    out = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.save(out, "JPEG", exif=exif, comment=b"taken at 12 Home Street", icc_profile=icc)
    data = out.getvalue()
    opened = Image.open(io.BytesIO(data))
    assert b"PhoneCo" in data and opened.getexif().get_ifd(GPS_IFD)
    assert opened.info["icc_profile"] and b"Home Street" in data
    return data


def image_bytes(kind: str, size: tuple[int, int] = (120, 80), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 120, 200) if mode == "RGB" else 3).save(out, kind)
    return out.getvalue()


def assert_clean(data: bytes) -> Image.Image:
    """The image has no EXIF, GPS, XMP, ICC profile or comment left."""
    image = Image.open(io.BytesIO(data))
    assert not image.getexif(), dict(image.getexif())
    for key in ("exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp"):
        assert key not in image.info, key
    assert b"PhoneCo" not in data and b"Home Street" not in data
    return image
