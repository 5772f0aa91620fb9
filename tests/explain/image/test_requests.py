"""Image request bodies and the image defaults of the predictor (content and accept types)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from openclarify.config import load_config
from openclarify.errors import ConfigError
from openclarify.explain.image.masking import MaskedImage
from openclarify.predict.images import IMAGE_COLUMN, ImageSerializer
from openclarify.predict.parse import parser_for
from openclarify.predict.serialize import request_content_type, serializer_for

from .helpers import grid_labels, smooth


def _rows(n: int) -> pd.DataFrame:
    image = smooth()
    labels = grid_labels(48, 64, 2, 2)
    cells = [MaskedImage(image, np.zeros_like(image), labels, np.arange(4) < k) for k in range(n)]
    return pd.DataFrame({IMAGE_COLUMN: pd.Series(cells, dtype=object)})


def _predictor(**values: object) -> object:
    config = load_config(
        {
            "dataset_type": "application/x-image",
            "predictor": {"endpoint_name": "e", "label_headers": ["a"], **values},
            "methods": {"shap": {"image_config": {"model_type": "IMAGE_CLASSIFICATION"}}},
        }
    )
    return config.predictor


def test_defaults_for_image_datasets() -> None:
    predictor = _predictor()
    assert request_content_type(predictor, "application/x-image") == "image/jpeg"
    assert parser_for(predictor, "image/jpeg", True).accept_type == "application/json"
    assert parser_for(_predictor(accept_type="text/csv"), "image/png", True).accept_type == (
        "text/csv"
    )
    serializer = serializer_for(predictor, "application/x-image", [IMAGE_COLUMN])
    assert isinstance(serializer, ImageSerializer) and serializer.one_record_per_request
    with pytest.raises(ConfigError, match="Unsupported content type application/jsonlines"):
        request_content_type(
            _predictor(content_type="application/jsonlines"), "application/x-image"
        )


def test_png_and_npy_bodies_carry_the_masked_pixels_exactly() -> None:
    rows = _rows(3)
    expected = [cell.pixels() for cell in rows[IMAGE_COLUMN]]
    png = ImageSerializer("image/png").serialize(rows.iloc[2:3])
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png))), expected[2])
    one = np.load(io.BytesIO(ImageSerializer("application/x-npy").serialize(rows.iloc[1:2])))
    assert one.dtype == np.uint8 and one.shape == (48, 64, 3)
    np.testing.assert_array_equal(one, expected[1])
    batch = ImageSerializer("application/x-npy", npy_batch=True)
    assert not batch.one_record_per_request
    stacked = np.load(io.BytesIO(batch.serialize(rows)))
    np.testing.assert_array_equal(stacked, np.stack(expected))
    jpeg = ImageSerializer("image/jpeg").serialize(rows.iloc[2:3])
    assert jpeg[:2] == b"\xff\xd8"
    decoded = np.asarray(Image.open(io.BytesIO(jpeg))).astype(int)
    assert np.abs(decoded - expected[2]).mean() < 3  # quality 95: close, not exact
    with pytest.raises(ValueError, match="one image per request"):
        ImageSerializer("image/png").serialize(rows)
    assert "segments" in repr(rows[IMAGE_COLUMN][0])  # never the pixels
