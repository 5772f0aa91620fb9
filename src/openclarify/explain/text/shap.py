"""Kernel SHAP over text units and tabular features, with the package's one estimator.

The players of record ``i`` are its non-text features and every unit of each
of its text columns; records have different numbers of units.  The estimator
(:func:`openclarify.explain.kernel_shap.explain`) works on one float matrix,
so each record is laid out as

``[record id | non-text features (their codes) | unit slots of column 1 | …]``

* a unit slot is ``1`` ("present") for each unit the record has and ``0`` in
  the baseline rows; the slots beyond a record's own units are ``0`` in the
  record too, so they equal the baseline and the estimator drops them as
  dummy players (exact Shapley value 0, no budget spent): each record gets
  exactly its own players and its own default ``num_samples``;
* the record id is not explained (always taken from the record), so every
  synthetic row says which record it belongs to; the model function rebuilds
  that record's texts from the slots (:mod:`.masking`) and decodes the other
  features (:class:`~openclarify.explain.tabular.TabularCodec`).

Everything else is the tabular estimator unchanged: coalition sampling and
``seed`` per record, the Shapley-kernel fit with efficiency imposed,
``use_logit`` after averaging over the baseline rows, and the batching of many
records into one model call (records of different lengths share calls).  The
texts of one call are built in slices of at most :data:`TEXT_BATCH_CHARS`
characters, so long texts do not multiply into gigabytes of strings.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...errors import ConfigError, DatasetError
from ...limits import check_shap_fits
from ...progress import Tracker
from ..kernel_shap import (
    DEFAULT_MAX_BATCH_ROWS,
    KernelShapResult,
    default_num_samples,
    explain,
    records_per_call,
)
from ..shap_values import ScoreFn, _scores_checked, output_labels
from ..tabular import TabularCodec
from .columns import ColumnTypes
from .masking import DEFAULT_TEXT_BASELINE, MaskableText
from .result import TextShapExplanation
from .units import Segmenter

__all__ = [
    "MAX_PLAYERS",
    "TEXT_BATCH_CHARS",
    "TextPart",
    "TextRecords",
    "explain_text_records",
    "lay_out_text_records",
    "text_replacements",
]

#: Most players (units of all text columns plus other features) one record may have.
#: The constrained fit costs O(S·P²) for S = 2P + 2048 coalitions: at 1,000 players a
#: few seconds per record, at 5,000 minutes, with 12,048 synthetic texts of the whole
#: record to send; such texts are refused with a fix (a coarser granularity).
MAX_PLAYERS = 1000
#: Characters of rebuilt text built and sent per model call slice (about 64 MB of str).
TEXT_BATCH_CHARS = 2**24
#: Bytes of the estimator's synthetic-row matrix per model call.  A text record has a
#: column per unit slot (60 tokens: ~60 columns), so the remote models' 2^20-row calls
#: sized for tabular data would hold 0.5 GB per matrix and as much again for its
#: copies (measured: 2.4 GB peak for 1,000 reviews); 64 MiB still keeps ~10 full
#: requests of 60-token rows in flight.
TEXT_MATRIX_BYTES = 2**26

_log = logging.getLogger("openclarify")


def text_replacements(baseline: pd.DataFrame, text_columns: Sequence[str]) -> dict[str, str]:
    """Each text column's replacement for an absent unit: its (single) baseline value.

    Raises
    ------
    ConfigError
        Baseline rows with different values for one text column (each absent unit
        is replaced by one string), or a value that is not a string.
    """
    out = {}
    for name in text_columns:
        values = [
            DEFAULT_TEXT_BASELINE if v is None or (isinstance(v, float) and np.isnan(v)) else v
            for v in baseline[name].tolist()
        ]
        if any(not isinstance(v, str) for v in values):
            raise ConfigError(
                "$.methods.shap.baseline",
                f"gives a non-string value for the text column '{name}'",
                'give the replacement for an absent text unit as a string, e.g. "<UNK>"',
            )
        if len(set(values)) > 1:
            raise ConfigError(
                "$.methods.shap.baseline",
                f"has rows with different values for the text column '{name}'",
                "give one replacement string for the text column in every baseline row",
            )
        out[name] = values[0] if values else DEFAULT_TEXT_BASELINE
    return out


def _cut_texts(
    features: pd.DataFrame, text_columns: Sequence[str], segmenter: Segmenter, n_other: int
) -> dict[str, list[MaskableText]]:
    texts: dict[str, list[MaskableText]] = {}
    for name in text_columns:
        texts[name] = [
            MaskableText.cut(v, segmenter.units(v) if isinstance(v, str) else [])
            for v in features[name].tolist()
        ]
    totals = np.full(len(features), n_other)
    for name in text_columns:
        totals += np.array([t.n_units for t in texts[name]], dtype=int)
    if len(totals) and totals.max() > MAX_PLAYERS:
        row = int(np.argmax(totals))
        biggest = max(text_columns, key=lambda c: texts[c][row].n_units)
        raise DatasetError(
            f"column '{biggest}', row {row}",
            f"has {int(totals[row])} text units and features to explain, more than the "
            f"{MAX_PLAYERS} one record may have",
            "use a coarser methods.shap.text_config.granularity (sentence or paragraph), or "
            "shorten the text",
        )
    return texts


@dataclass(frozen=True)
class _Layout:
    """Where each player of a record lives in the estimator's matrix (module docstring)."""

    names: list[str]
    other: list[str]
    texts: dict[str, list[MaskableText]]
    replacements: dict[str, str]
    start: dict[str, int]
    width: int
    codec: TabularCodec | None

    @staticmethod
    def of(
        features: pd.DataFrame,
        baseline: pd.DataFrame,
        types: ColumnTypes,
        texts: dict[str, list[MaskableText]],
        replacements: dict[str, str],
    ) -> _Layout:
        start = {}
        position = 1 + len(types.other)
        for c in types.text:
            start[c] = position
            position += max((t.n_units for t in texts[c]), default=0)
        other = types.other
        codec = TabularCodec.fit(features[other], baseline[other]) if other else None
        names = [str(c) for c in features.columns]
        return _Layout(names, other, texts, replacements, start, position, codec)

    def matrix(self, frame: pd.DataFrame, ids: NDArray[np.float64]) -> NDArray[np.float64]:
        """Rows of ``frame`` laid out: ids, other features' codes, unit slots of the records."""
        out = np.zeros((len(frame), self.width))
        out[:, 0] = ids
        if self.codec is not None:
            out[:, 1 : 1 + len(self.other)] = self.codec.encode(frame[self.other])
        for c, texts in self.texts.items():
            if len(ids) and ids[0] >= 0:  # records: a present slot per unit; baseline: none
                for i, text in enumerate(texts):
                    out[i, self.start[c] : self.start[c] + text.n_units] = 1.0
        return out

    def frame(self, matrix: NDArray[np.float64]) -> pd.DataFrame:
        """The model's input for rows of the matrix: other features decoded, texts rebuilt."""
        ids = matrix[:, 0].astype(np.intp)
        columns: dict[str, Any] = {}
        if self.codec is not None:
            decoded = self.codec.decode(matrix[:, 1 : 1 + len(self.other)])
            for name in self.other:
                columns[name] = decoded[name]
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        firsts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
        bounds = np.r_[firsts, len(ids)]
        for c, texts in self.texts.items():
            values = np.empty(len(ids), dtype=object)
            for lo, hi in itertools.pairwise(bounds):
                rows = order[lo:hi]
                owner = sorted_ids[lo]
                if owner < 0:  # a baseline row: the column's replacement itself
                    values[rows] = self.replacements[c]
                    continue
                text = texts[owner]
                present = matrix[rows, self.start[c] : self.start[c] + text.n_units] > 0.5
                values[rows] = text.rebuild(present, self.replacements[c])
            columns[c] = pd.Series(values, dtype=object)
        return pd.DataFrame({name: columns[name] for name in self.names})

    def predict(self, model: ScoreFn) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
        """The estimator's ``predict``: ``model`` on slices of at most TEXT_BATCH_CHARS."""
        n = len(next(iter(self.texts.values())))
        cost = np.ones(n)  # every row costs something, so slices stay bounded in rows too
        for c, texts in self.texts.items():
            cost += [t.rebuilt_length(self.replacements[c]) for t in texts]
        baseline_cost = 1.0 + sum(map(len, self.replacements.values()))

        def predict(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
            ids = matrix[:, 0].astype(np.intp)
            row_cost = np.where(ids < 0, baseline_cost, cost[np.maximum(ids, 0)])
            ends = np.cumsum(row_cost)
            outputs = []
            lo = 0
            while lo < len(matrix):
                limit = ends[lo] - row_cost[lo] + TEXT_BATCH_CHARS
                hi = max(int(np.searchsorted(ends, limit, "right")), lo + 1)
                outputs.append(np.asarray(model(self.frame(matrix[lo:hi])), dtype=np.float64))
                lo = hi
            return np.concatenate(outputs) if len(outputs) > 1 else outputs[0]

        return predict


@dataclass(frozen=True)
class TextPart:
    """Records ``offset … offset + n`` laid out, with only their own texts.

    What one Spark task needs to explain its records (no spaCy, no other record's
    text); the whole dataset is the part at offset 0.  Column 0 of ``records``
    holds the record's position *in the part* (the index into ``layout.texts``);
    the estimator never attributes that column, and each record draws its
    coalitions from ``default_rng([seed, offset + i])``, its global row, so the
    values do not depend on how the records are split.
    """

    offset: int
    layout: _Layout
    records: NDArray[np.float64]
    background: NDArray[np.float64]

    def explain(
        self,
        scores: ScoreFn,
        *,
        num_samples: int | None,
        seed: int | None,
        use_logit: bool,
        max_batch_rows: int,
        chunk_rows: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> KernelShapResult:
        """Kernel SHAP of the part's records (``phi[n, width, K]``, ``expected_value[K]``)."""
        return explain(
            self.layout.predict(_scores_checked(scores, use_logit)),
            self.records,
            self.background,
            num_samples=num_samples,
            seed=seed,
            row_offset=self.offset,
            chunk_rows=chunk_rows,
            max_batch_rows=max_batch_rows,
            features_to_explain=list(range(1, self.layout.width)),
            use_logit=use_logit,
            progress=progress,
        )


@dataclass(frozen=True)
class TextRecords:
    """A dataset's records cut into units and laid out for the estimator (module docstring).

    Built once (on the driver, on Spark) by :func:`lay_out_text_records`; the
    estimator runs on :meth:`part` s of it, and :meth:`explanation` turns the
    values of all records, in record order, into the result.
    """

    types: ColumnTypes
    layout: _Layout
    records: NDArray[np.float64]
    background: NDArray[np.float64]
    baseline: pd.DataFrame
    segmenter: Segmenter

    @property
    def n_records(self) -> int:
        return len(self.records)

    def max_batch_rows(self, rows_per_call: int | None) -> int:
        """Synthetic rows per model call: the model's own limit, within TEXT_MATRIX_BYTES.

        ``rows_per_call`` is the model session's (``None``: the estimator's default).
        """
        return min(
            rows_per_call or DEFAULT_MAX_BATCH_ROWS,
            max(1, TEXT_MATRIX_BYTES // (8 * self.layout.width)),
        )

    def records_per_call(self, *, seed: int, num_samples: int | None, max_batch_rows: int) -> int:
        """Records of one model call when the whole dataset is explained (``chunk_rows``).

        Parts cut at multiples of it and explained with it as ``chunk_rows``
        send the model exactly the calls of the whole dataset, row for row.
        """
        return records_per_call(
            self.records,
            self.background,
            seed=seed,
            num_samples=num_samples,
            max_batch_rows=max_batch_rows,
            features_to_explain=list(range(1, self.layout.width)),
        )

    def part(self, lo: int, hi: int) -> TextPart:
        """Records ``lo:hi`` with their texts only (:class:`TextPart`)."""
        records = self.records[lo:hi].copy()
        records[:, 0] = np.arange(hi - lo, dtype=np.float64)
        texts = {c: t[lo:hi] for c, t in self.layout.texts.items()}
        layout = dataclasses.replace(self.layout, texts=texts)
        return TextPart(lo, layout, records, self.background)

    def explanation(
        self,
        phi: NDArray[np.float64],
        expected_value: NDArray[np.float64],
        *,
        label_headers: Sequence[Any] | None,
        agg_method: str,
        max_top_tokens: int | None,
    ) -> TextShapExplanation:
        """The result from the values of every record (``phi[n, width, K]``, record order)."""
        start, texts, types = self.layout.start, self.layout.texts, self.types
        return TextShapExplanation.build(
            labels=tuple(output_labels(phi.shape[2], label_headers)),
            features=tuple(self.layout.names),
            types=types,
            texts=texts,
            local_other={name: phi[:, 1 + j, :] for j, name in enumerate(types.other)},
            local_units={
                c: [
                    phi[i, start[c] : start[c] + texts[c][i].n_units, :]
                    for i in range(self.n_records)
                ]
                for c in types.text
            },
            expected_value=np.asarray(expected_value, dtype=np.float64),
            baseline=self.baseline,
            segmenter=self.segmenter,
            agg_method=agg_method,
            max_top_tokens=max_top_tokens,
        )


def lay_out_text_records(
    features: pd.DataFrame,
    types: ColumnTypes,
    baseline: pd.DataFrame,
    segmenter: Segmenter,
    *,
    num_samples: int | None = None,
    log: logging.Logger | None = None,
) -> TextRecords:
    """Cut the texts, lay the records out, and refuse a job that cannot be explained.

    Parameters are those of :func:`explain_text_records`.

    Raises
    ------
    ConfigError
        Baseline rows that disagree on a text column's replacement, or more
        synthetic rows per record than memory holds
        (:func:`~openclarify.limits.check_shap_fits`).
    DatasetError
        A record with more than :data:`MAX_PLAYERS` players.
    """
    log = log or _log
    replacements = text_replacements(baseline, types.text)
    texts = _cut_texts(features, types.text, segmenter, len(types.other))
    layout = _Layout.of(features, baseline, types, texts, replacements)
    n, b = len(features), len(baseline)
    most = max(1, len(types.other) + max((_units(texts, i) for i in range(n)), default=0))
    coalitions = num_samples if num_samples is not None else default_num_samples(most)
    if most < 63:
        coalitions = min(coalitions, 2**most - 2) if most > 1 else 1
    model_rows = check_shap_fits(coalitions, b, layout.width, n)
    log.info("SHAP will evaluate the model on about %d rows", model_rows)
    log.info("SHAP n_samples %s", num_samples if num_samples is not None else "per record")
    log.info(
        "Shap analyzer: explaining %d rows, %d columns (%d text) against %d baseline row(s)",
        n,
        len(layout.names),
        len(types.text),
        b,
    )
    shown_baseline = baseline.copy()
    for c in types.text:
        shown_baseline[c] = replacements[c]
    return TextRecords(
        types,
        layout,
        layout.matrix(features, np.arange(n, dtype=np.float64)),
        layout.matrix(baseline, np.full(b, -1.0)),
        shown_baseline,
        segmenter,
    )


def explain_text_records(
    features: pd.DataFrame,
    types: ColumnTypes,
    baseline: pd.DataFrame,
    scores: ScoreFn,
    segmenter: Segmenter,
    *,
    label_headers: Sequence[Any] | None = None,
    num_samples: int | None = None,
    seed: int | None = None,
    agg_method: str = "mean_abs",
    use_logit: bool = False,
    max_top_tokens: int | None = None,
    max_batch_rows: int | None = None,
    chunk_rows: int | None = None,
    log: logging.Logger | None = None,
) -> TextShapExplanation:
    """Kernel SHAP of every record over its text units and other features (module docstring).

    Parameters
    ----------
    features:
        The model's feature columns, in dataset order (fresh index).
    types:
        :func:`~openclarify.explain.text.columns.column_types` of ``features``.
    baseline:
        Baseline rows with the same columns; a text column holds its replacement string.
    scores:
        The model (:data:`~openclarify.explain.shap_values.ScoreFn`).
    segmenter:
        Splits texts into units and tokens.
    label_headers, num_samples, seed, agg_method, use_logit:
        ``predictor.label_headers`` and the ``methods.shap`` settings.
    max_top_tokens:
        Entries of ``global_top_shap_text`` per column (default 50).
    max_batch_rows, chunk_rows:
        Synthetic rows per model call / records per call (see ``explain``).
    log:
        Logger for progress lines.
    """
    log = log or _log
    laid_out = lay_out_text_records(
        features, types, baseline, segmenter, num_samples=num_samples, log=log
    )
    n = laid_out.n_records
    started = time.monotonic()
    tracker = Tracker("SHAP", n, "records", log=log)

    def progress(done: int, rows: int) -> None:
        tracker.update(done, f", {rows} model rows evaluated")

    result = laid_out.part(0, n).explain(
        scores,
        num_samples=num_samples,
        seed=seed,
        use_logit=use_logit,
        max_batch_rows=laid_out.max_batch_rows(max_batch_rows),
        chunk_rows=chunk_rows,
        progress=progress,
    )
    log.info("getting explanations took %.2fs", time.monotonic() - started)
    return laid_out.explanation(
        result.phi,
        result.expected_value,
        label_headers=label_headers,
        agg_method=agg_method,
        max_top_tokens=max_top_tokens,
    )


def _units(texts: dict[str, list[MaskableText]], i: int) -> int:
    return sum(t[i].n_units for t in texts.values())
