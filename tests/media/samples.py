"""Images made on the spot for the media tests: photos with GPS in their EXIF, bombs, fakes."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image

GPS_LAT = (39.0, 54.0, 27.0)


def photo(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), *, gps: bool = True) -> bytes:
    """A colourful picture (so it does not compress to nothing) with camera EXIF and GPS."""
    r = Image.linear_gradient("L").resize(size)
    g = Image.radial_gradient("L").resize(size)
    b = Image.effect_noise(size, 40)
    img = Image.merge("RGB", (r, g, b))
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "FakeCam"
    exif[ExifTags.Base.Model] = "GPS-9000"
    if gps:
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info[ExifTags.GPS.GPSLatitudeRef] = "N"
        info[ExifTags.GPS.GPSLatitude] = GPS_LAT
        info[ExifTags.GPS.GPSLongitudeRef] = "E"
        info[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 17.0)
    kwargs = {"exif": exif.tobytes()}
    if fmt == "PNG":
        img.save(buf, "PNG", **kwargs)
    else:
        img.save(buf, fmt, quality=90, **kwargs)
    return buf.getvalue()


def noisy_jpeg(target_bytes: int) -> bytes:
    """A JPEG close to `target_bytes` (random noise does not compress)."""
    import os

    side = int((target_bytes / 2.45) ** 0.5)  # q95 noise: ~2.45 bytes per pixel
    while True:
        img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=95)
        if buf.tell() >= target_bytes:
            return buf.getvalue()
        side = int(side * 1.02) + 1


def png_bomb(width: int = 10_000, height: int = 10_000) -> bytes:
    """A tiny PNG that decodes to width×height pixels (greyscale, all zero): a few hundred KB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return (
            struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    data = b"".join(raw.compress(row) for _ in range(height)) + raw.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


def polyglot() -> bytes:
    """A valid JPEG with an HTML/script payload appended after its end marker."""
    return photo(size=(64, 64)) + b"<html><script>alert(document.cookie)</script></html>"


def has_gps(data: bytes) -> bool:
    img = Image.open(io.BytesIO(data))
    exif = img.getexif()
    return bool(exif.get_ifd(ExifTags.IFD.GPSInfo)) or b"GPS-9000" in data or b"FakeCam" in data
