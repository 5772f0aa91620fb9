"""The images of an ``application/x-image`` dataset: a folder, an S3 prefix or a manifest.

Clarify reads ``.jpg``, ``.jpeg`` and ``.png`` files under the dataset input, or the
files an image manifest names (contract modalities §2.1).  This module lists them,
in a fixed order, without decoding their pixels; :mod:`openclarify.data.pixels`
decodes one at a time, so a folder of any size is streamed.

Decisions (Clarify's behaviour on other files is not documented):

* **Order**: files sorted by their path relative to the dataset folder (a manifest
  keeps its own order), so runs and outputs are reproducible.
* **Files of other kinds in a folder are skipped, with a count**: a folder (or
  S3 prefix) may hold markers and side files (``_SUCCESS``, a ``labels.txt``);
  files whose extension is not ``.jpg`` / ``.jpeg`` / ``.png`` (any case) are not
  images of the dataset, so they are skipped and the log says how many (and
  names the first).  Hidden files and folders (``.DS_Store``,
  ``.ipynb_checkpoints``) are ignored silently.
* **A bad image is an error, not skipped**: a file with an image extension that
  does not decode as JPEG or PNG, a dataset *file* or manifest entry that is not
  an image, fails the job *before the first model call* with a
  :class:`~openclarify.errors.DatasetError` naming it — a silently skipped image
  would be a silently missing explanation.
* **Manifests**: a dataset *file* ending in ``.manifest``, ``.json`` or ``.jsonl``
  is a manifest, in either SageMaker form — the S3 ``ManifestFile`` JSON array
  ``[{"prefix": "s3://bucket/p/"}, "a.jpg", …]`` or JSON Lines of objects with a
  ``"source-ref"`` (augmented manifest).  Entries are ``s3://`` URIs (downloaded)
  or paths relative to the manifest's folder.
* **Names**: outputs are named by the file's stem (``shap_<stem>…jpeg``, written
  directly under the output folder, as observed); two images with the same stem
  would overwrite each other's heat maps, so that is an error naming both.
* ``debug.image_names`` keeps the images whose file name or stem is listed;
  ``debug.sample_from`` / ``sample_to`` then keep that slice (0-based, end
  excluded) of the list.  Both are our reading of undocumented keys.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Final

from ..errors import DatasetError
from . import pixels

if TYPE_CHECKING:
    from ..config import ImageDebugConfig
    from ..locations import Locations

__all__ = ["IMAGE_EXTENSIONS", "MANIFEST_EXTENSIONS", "ImageFile", "image_files"]

IMAGE_EXTENSIONS: Final = (".jpg", ".jpeg", ".png")
MANIFEST_EXTENSIONS: Final = (".manifest", ".json", ".jsonl")
_WHERE: Final = "$.dataset_uri"
_EXTENSION_FIX: Final = "keep only .jpg, .jpeg and .png files in the dataset"


@dataclass(frozen=True)
class ImageFile:
    """One image of the dataset.

    Attributes
    ----------
    path:
        The local file.
    name:
        How it is named in messages and in ``analysis.json``: its path relative
        to the dataset folder (``/``-separated), or the manifest entry.
    """

    path: Path
    name: str

    @property
    def stem(self) -> str:
        """The file name without its extension (heat maps are named by it)."""
        return PurePosixPath(self.name).stem

    def pixels(self) -> pixels.Pixels:
        """The decoded RGB array."""
        return pixels.read_image(self.path, self.name)


def _is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _folder_images(folder: Path, log: logging.Logger) -> list[ImageFile]:
    found: list[ImageFile] = []
    skipped: list[str] = []
    for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
        relative = path.relative_to(folder)
        if _hidden(relative) or not path.is_file():
            continue
        name = relative.as_posix()
        if _is_image(name):
            found.append(ImageFile(path, name))
        else:
            skipped.append(name)
    if skipped:
        log.warning(
            "Skipped %d file(s) that are not .jpg, .jpeg or .png images (the first: %s)",
            len(skipped),
            skipped[0][:200],
        )
    return found


def _manifest_entries(manifest: Path) -> list[str]:
    text = manifest.read_text(encoding="utf-8-sig")
    where = manifest.name
    stripped = text.lstrip()
    if stripped.startswith("["):  # S3 ManifestFile: [{"prefix": ...}, "key", ...]
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DatasetError(where, f"is not valid JSON ({exc.msg})", None) from exc
        if (
            not document
            or not isinstance(document[0], dict)
            or not isinstance(document[0].get("prefix"), str)
            or not all(isinstance(e, str) for e in document[1:])
        ):
            raise DatasetError(
                where,
                'is not an S3 manifest (expected [{"prefix": "s3://bucket/path/"}, "key", ...])',
                "write the manifest in the ManifestFile format",
            )
        prefix = document[0]["prefix"]
        return [prefix + entry for entry in document[1:]]
    entries: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where} line {number}", f"is not JSON ({exc.msg})", None) from exc
        if not isinstance(record, dict) or not isinstance(record.get("source-ref"), str):
            raise DatasetError(
                f"{where} line {number}",
                'has no "source-ref" string (expected an augmented manifest line)',
                'give each line as {"source-ref": "s3://bucket/image.jpg"}',
            )
        entries.append(record["source-ref"])
    return entries


def _manifest_images(manifest: Path, locations: Locations) -> list[ImageFile]:
    found: list[ImageFile] = []
    for entry in _manifest_entries(manifest):
        if not _is_image(entry):
            raise DatasetError(
                f"{manifest.name} entry {entry[:200]}",
                "does not name an image file (expected .jpg, .jpeg or .png)",
                _EXTENSION_FIX,
            )
        if entry.startswith("s3://"):
            local = locations.download(entry, _WHERE)
        else:
            local = locations.local(str(manifest.parent / entry), _WHERE)
        if not local.is_file():
            raise DatasetError(
                f"{manifest.name} entry {entry[:200]}", "names no file", "fix the manifest entry"
            )
        found.append(ImageFile(local, entry))
    return found


def _select(images: list[ImageFile], debug: ImageDebugConfig | None) -> list[ImageFile]:
    if debug is None:
        return images
    if debug.image_names is not None:
        wanted = set(debug.image_names)
        images = [i for i in images if PurePosixPath(i.name).name in wanted or i.stem in wanted]
    return images[debug.sample_from : debug.sample_to]


def image_files(
    path: Path,
    locations: Locations,
    debug: ImageDebugConfig | None = None,
    log: logging.Logger | None = None,
) -> list[ImageFile]:
    """The images to explain, checked (readable JPEG or PNG, distinct stems).

    Parameters
    ----------
    path:
        The dataset: a folder (an S3 prefix arrives downloaded as one), one image
        file, or a manifest (see the module docstring).
    locations:
        Finds the files a manifest names (S3 downloads, the input folder).
    debug:
        ``methods.shap.image_config.debug``.
    log:
        Where the count of skipped files goes (default: the ``openclarify`` logger).

    Raises
    ------
    DatasetError
        An image file that is not a JPEG or PNG image, a damaged image, a manifest that
        cannot be read, two images with the same stem, or no image at all.
    """
    if path.is_dir():
        images = _folder_images(path, log or logging.getLogger("openclarify"))
    elif path.name.lower().endswith(MANIFEST_EXTENSIONS):
        images = _manifest_images(path, locations)
    elif _is_image(path.name):
        images = [ImageFile(path, path.name)]
    else:
        raise DatasetError(
            path.name,
            "is neither an image (.jpg, .jpeg, .png), an image folder nor a manifest "
            "(.manifest, .json, .jsonl)",
            "point the dataset at a folder of images or at a manifest",
        )
    images = _select(images, debug)
    if not images:
        raise DatasetError(
            _WHERE,
            "the dataset holds no image to explain (no .jpg, .jpeg or .png file"
            + (" left after methods.shap.image_config.debug" if debug is not None else "")
            + ")",
            "point the dataset at a folder of JPEG or PNG images",
        )
    stems: dict[str, str] = {}
    for image in images:
        if image.stem in stems:
            raise DatasetError(
                image.name,
                f"has the same file stem as {stems[image.stem]}; their heat maps "
                f"(shap_{image.stem}….jpeg) would overwrite each other",
                "rename one of the two files",
            )
        stems[image.stem] = image.name
    for image in images:
        pixels.verify_image(image.path, image.name)
    return images
