"""JPEG / PNG bytes ↔ RGB arrays: the one module that imports Pillow (the ``image`` extra).

Images are ``uint8`` arrays of shape ``(height, width, 3)``, RGB, as Clarify loads
them ("a 3-dimensional NumPy array … height, width, and RGB values", contract
modalities §2.1): greyscale, palette and alpha images are converted to RGB
(alpha dropped), so every model sees three channels.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from ..errors import ConfigError, DatasetError

__all__ = [
    "EXTRA_FIX",
    "Pixels",
    "decode",
    "encode",
    "read_image",
    "require_pillow",
    "resize",
    "verify_image",
]

Pixels = NDArray[np.uint8]

#: The fix every "missing extra" message gives.
EXTRA_FIX: Final = "install the image extra: pip install 'openclarify[image]'"
#: JPEG quality of request bodies and heat maps: Pillow's default (75) blurs segment
#: boundaries visibly; 95 keeps them sharp at about twice the size.
JPEG_QUALITY: Final = 95


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError as exc:
        raise ConfigError(
            "$.dataset_type",
            "application/x-image needs Pillow, which is not installed",
            EXTRA_FIX,
        ) from exc
    return Image


@contextlib.contextmanager
def _strict() -> Iterator[None]:
    """Truncated files are errors while we decode, whatever the process set.

    weasyprint (the report extra) sets Pillow's global
    ``ImageFile.LOAD_TRUNCATED_IMAGES = True`` when imported, after which Pillow pads a
    cut-off JPEG with grey instead of failing: a damaged image would be explained
    silently.  Decoding happens on the job's thread only, so restoring the flag
    afterwards leaves weasyprint's setting as it found it.
    """
    from PIL import ImageFile

    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def require_pillow() -> None:
    """Raise the "install the image extra" :class:`ConfigError` when Pillow is missing."""
    _pillow()


def _rgb(image: Any) -> Pixels:
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image, dtype=np.uint8).copy()


def decode(data: bytes, name: str) -> Pixels:
    """The RGB array of JPEG or PNG ``data`` (``name`` is named in errors).

    Raises
    ------
    DatasetError
        The bytes are not a readable JPEG or PNG image.
    """
    image_module = _pillow()
    try:
        with _strict(), image_module.open(io.BytesIO(data)) as image:
            if image.format not in ("JPEG", "PNG"):
                raise DatasetError(
                    name,
                    f"is a {image.format} image, expected JPEG or PNG",
                    "convert it to .jpg or .png, or remove it from the dataset",
                )
            image.load()
            return _rgb(image)
    except DatasetError:
        raise
    except Exception as exc:  # Pillow raises many kinds for damaged files
        raise DatasetError(
            name,
            f"cannot be decoded as an image ({type(exc).__name__})",
            "replace the damaged file or remove it from the dataset",
        ) from exc


def read_image(path: Path, name: str) -> Pixels:
    """:func:`decode` of the file at ``path``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DatasetError(
            name,
            f"cannot be read ({exc.strerror or type(exc).__name__})",
            "check that the file exists and is readable",
        ) from exc
    return decode(data, name)


def verify_image(path: Path, name: str) -> None:
    """Check that ``path`` is a whole JPEG or PNG file (decoded, then dropped).

    Run on every file before the first model call, so that a damaged file at the
    end of a large folder fails the job before any work is spent.  A full decode,
    not Pillow's ``verify()``, which does not see a truncated JPEG; decoding costs
    milliseconds per image against seconds of model calls.
    """
    read_image(path, name)


def resize(pixels: Pixels, height: int, width: int) -> Pixels:
    """``pixels`` resized to ``(height, width)`` (bilinear; unchanged when it fits)."""
    if pixels.shape[:2] == (height, width):
        return pixels
    image_module = _pillow()
    image = image_module.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8))
    return _rgb(image.resize((width, height), image_module.Resampling.BILINEAR))


def encode(pixels: Pixels, image_format: str) -> bytes:
    """``pixels`` as ``JPEG`` or ``PNG`` file bytes."""
    image_module = _pillow()
    out = io.BytesIO()
    image = image_module.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8))
    if image_format == "JPEG":
        image.save(out, format="JPEG", quality=JPEG_QUALITY)
    else:
        image.save(out, format="PNG")
    return out.getvalue()
