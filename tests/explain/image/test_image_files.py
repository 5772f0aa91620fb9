"""Reading image datasets: folders, manifests, order, and one clear error per bad file."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from openclarify.config import ImageDebugConfig
from openclarify.data import pixels
from openclarify.data.images import image_files
from openclarify.errors import ConfigError, DatasetError
from openclarify.locations import Locations

from .helpers import smooth


def _save(path: Path, seed: int = 0, image_format: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(smooth(seed=seed)).save(path, format=image_format)
    return path


def test_a_folder_is_read_recursively_in_path_order_hidden_files_ignored(tmp_path: Path) -> None:
    _save(tmp_path / "b.png")
    _save(tmp_path / "a" / "z.JPG", image_format="JPEG")
    _save(tmp_path / "c.jpeg", image_format="JPEG")
    (tmp_path / ".DS_Store").write_bytes(b"\0\1")
    _save(tmp_path / ".ipynb_checkpoints" / "b-checkpoint.png")
    found = image_files(tmp_path, Locations())
    assert [f.name for f in found] == ["a/z.JPG", "b.png", "c.jpeg"]
    assert [f.stem for f in found] == ["z", "b", "c"]
    decoded = found[1].pixels()
    assert decoded.dtype == np.uint8 and decoded.shape == (48, 64, 3)
    np.testing.assert_array_equal(decoded, smooth(seed=0))  # PNG is lossless


def test_grey_and_alpha_images_are_read_as_rgb(tmp_path: Path) -> None:
    Image.fromarray(smooth()[:, :, 0]).save(tmp_path / "grey.png")
    Image.fromarray(np.dstack([smooth(), np.full((48, 64), 10, np.uint8)])).save(
        tmp_path / "alpha.png"
    )
    for found in image_files(tmp_path, Locations()):
        assert found.pixels().shape == (48, 64, 3)


def test_other_files_in_a_folder_are_skipped_with_a_count(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _save(tmp_path / "a.png")
    (tmp_path / "_SUCCESS").write_bytes(b"")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "labels.txt").write_text("cat\n")
    with caplog.at_level("WARNING", logger="openclarify"):
        assert [f.name for f in image_files(tmp_path, Locations())] == ["a.png"]
    assert "Skipped 2 file(s) that are not .jpg, .jpeg or .png images (the first: _SUCCESS)" in (
        caplog.text
    )


def test_a_dataset_file_with_another_extension_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "labels.txt").write_text("cat\n")
    with pytest.raises(DatasetError) as error:
        image_files(tmp_path / "labels.txt", Locations())
    assert error.value.where == "labels.txt"
    assert "neither an image (.jpg, .jpeg, .png)" in error.value.problem
    only_text = tmp_path / "only_text"
    only_text.mkdir()
    (only_text / "labels.txt").write_text("cat\n")
    with pytest.raises(DatasetError, match="holds no image"):
        image_files(only_text, Locations())


def test_a_corrupt_or_mislabelled_image_is_an_error_naming_it(tmp_path: Path) -> None:
    _save(tmp_path / "good.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(DatasetError) as error:
        image_files(tmp_path, Locations())
    assert error.value.where == "broken.jpg"
    assert "cannot be decoded as an image" in error.value.problem
    (tmp_path / "broken.jpg").unlink()
    _save(tmp_path / "really_a_gif.png", image_format="GIF")
    with pytest.raises(
        DatasetError, match=re.escape("really_a_gif.png: is a GIF image, expected JPEG or PNG")
    ):
        image_files(tmp_path, Locations())


def test_a_truncated_image_fails_when_decoded_with_the_same_kind_of_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from PIL import ImageFile

    # weasyprint sets this process-wide when the report is imported; we stay strict
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = pixels.encode(smooth(), "JPEG")
    with pytest.raises(DatasetError, match=re.escape("cut.jpg: cannot be decoded as an image")):
        pixels.decode(data[: len(data) // 2], "cut.jpg")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored
    # and the listing finds it before any model call
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match=re.escape("cut.jpg: cannot be decoded as an image")):
        image_files(tmp_path, Locations())


def test_duplicate_stems_and_empty_datasets_are_errors(tmp_path: Path) -> None:
    _save(tmp_path / "x" / "cat.png")
    _save(tmp_path / "y" / "cat.jpg", image_format="JPEG")
    with pytest.raises(DatasetError, match=re.escape("same file stem as x/cat.png")):
        image_files(tmp_path, Locations())
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match="holds no image"):
        image_files(empty, Locations())


def test_manifests_in_both_sagemaker_forms(tmp_path: Path) -> None:
    _save(tmp_path / "imgs" / "one.png")
    _save(tmp_path / "imgs" / "two.png", seed=1)
    lines = tmp_path / "images.jsonl"
    lines.write_text(
        json.dumps({"source-ref": "imgs/two.png"})
        + "\n"
        + json.dumps({"source-ref": "imgs/one.png"})
    )
    assert [f.name for f in image_files(lines, Locations())] == ["imgs/two.png", "imgs/one.png"]
    listing = tmp_path / "images.manifest"
    listing.write_text(json.dumps([{"prefix": "imgs/"}, "one.png"]))
    assert [f.name for f in image_files(listing, Locations())] == ["imgs/one.png"]
    listing.write_text(json.dumps([{"prefix": "imgs/"}, "one.txt"]))
    with pytest.raises(DatasetError, match="does not name an image file"):
        image_files(listing, Locations())
    lines.write_text('{"image": "imgs/one.png"}\n')
    with pytest.raises(DatasetError, match=re.escape('images.jsonl line 1: has no "source-ref"')):
        image_files(lines, Locations())


def test_debug_selects_names_then_a_slice(tmp_path: Path) -> None:
    for i in range(5):
        _save(tmp_path / f"im{i}.png", seed=i)
    names = ImageDebugConfig(image_names=["im1", "im3.png", "im4"])
    assert [f.stem for f in image_files(tmp_path, Locations(), names)] == ["im1", "im3", "im4"]
    window = ImageDebugConfig(sample_from=1, sample_to=3)
    assert [f.stem for f in image_files(tmp_path, Locations(), window)] == ["im1", "im2"]


def test_a_missing_extra_is_a_config_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from openclarify.explain.image.segments import require_scikit_image

    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ConfigError) as error:
        pixels.require_pillow()
    assert "pip install 'openclarify[image]'" in str(error.value)
    assert "Pillow" in str(error.value)
    monkeypatch.setitem(sys.modules, "skimage", None)
    with pytest.raises(ConfigError) as error:
        require_scikit_image()
    assert "scikit-image" in str(error.value) and "openclarify[image]" in str(error.value)
