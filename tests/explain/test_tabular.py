"""The codec between feature frames and the estimator's float matrix is exact both ways."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openclarify.explain.tabular import TabularCodec


def test_round_trip_keeps_values_and_dtypes() -> None:
    records = pd.DataFrame(
        {
            "age": np.array([18, 40, 77], dtype=np.int64),
            "income": [1.5, np.nan, 0.1 + 0.2],
            "city": ["north", None, "south"],
            "flag": [True, False, True],
            "nullable": pd.array([1, None, 3], dtype="Int64"),
        }
    )
    baseline = pd.DataFrame(
        {
            "age": np.array([30], dtype=np.int64),
            "income": [2.0],
            "city": ["east"],  # a value only the baseline has still gets a code
            "flag": [False],
            "nullable": pd.array([7], dtype="Int64"),
        }
    )
    codec = TabularCodec.fit(records, baseline)
    for frame in (records, baseline):
        back = codec.decode(codec.encode(frame))
        pd.testing.assert_frame_equal(back, frame, check_dtype=True)


def test_text_columns_become_codes_and_missing_values_nan() -> None:
    records = pd.DataFrame({"city": ["b", "a", None, "b"]})
    codec = TabularCodec.fit(records)
    matrix = codec.encode(records)
    assert matrix[:, 0].tolist()[:2] == [0.0, 1.0]  # codes in order of first appearance
    assert np.isnan(matrix[2, 0]) and matrix[3, 0] == 0.0


def test_huge_integers_are_coded_not_rounded() -> None:
    big = 2**60 + 1  # not representable in float64
    records = pd.DataFrame({"id": np.array([big, big + 2], dtype=np.int64)})
    codec = TabularCodec.fit(records)
    back = codec.decode(codec.encode(records))
    assert back["id"].tolist() == [big, big + 2]


def test_a_value_the_codec_never_saw_is_refused() -> None:
    codec = TabularCodec.fit(pd.DataFrame({"city": ["a"]}))
    with pytest.raises(ValueError, match="was not fit on"):
        codec.encode(pd.DataFrame({"city": ["b"]}))


@settings(max_examples=60, deadline=None)
@given(
    ints=st.lists(st.integers(-(2**53), 2**53), min_size=1, max_size=8),
    texts=st.lists(st.text(max_size=5) | st.none(), min_size=1, max_size=8),
    floats=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=8),
)
def test_round_trip_property(ints: list[int], texts: list[str | None], floats: list[float]) -> None:
    n = min(len(ints), len(texts), len(floats))
    frame = pd.DataFrame(
        {
            "i": np.array(ints[:n], dtype=np.int64),
            "t": pd.Series(texts[:n], dtype=object),
            "f": np.array(floats[:n], dtype=np.float64),
        }
    )
    codec = TabularCodec.fit(frame)
    pd.testing.assert_frame_equal(codec.decode(codec.encode(frame)), frame)
