"""``openclarify mitigate``: the mitigation calls on a file, the new file out, metrics printed.

    openclarify mitigate resample   --data in.csv --label y --label-values 1 --facet g \\
        --output balanced.csv [--strategy undersample|oversample|RATIO] [--seed N]
    openclarify mitigate reweigh    ... --output weighted.csv [--weight-column sample_weight]
    openclarify mitigate thresholds ... --scores score --output fair.csv \\
        [--constraint demographic_parity|equalized_odds] [--tolerance T] [--seed N]

CSV in and out (``.parquet`` when the file name says so).  The before / after table
goes to standard output; the file is written atomically, and only after every step
succeeded.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DatasetError, OutputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """The ``mitigate`` subcommand and its three actions."""
    mitigate = sub.add_parser(
        "mitigate",
        help="resample, reweigh or re-threshold a dataset; print the metrics before and after",
    )
    mitigate.add_argument("action", choices=["resample", "reweigh", "thresholds"])
    mitigate.add_argument(
        "--data", required=True, type=Path, help="CSV (or .parquet) with a header"
    )
    mitigate.add_argument("--label", required=True, help="label column")
    mitigate.add_argument(
        "--label-values", required=True, nargs="+", help="positive label value(s)"
    )
    mitigate.add_argument("--facet", required=True, help="sensitive column")
    mitigate.add_argument("--output", required=True, type=Path, help="the new CSV (or .parquet)")
    mitigate.add_argument(
        "--strategy",
        default="undersample",
        help="resample: undersample (default), oversample, or a ratio in (0, 1] of the largest cell",
    )
    mitigate.add_argument("--seed", type=int, default=0, help="seed of the draws (default 0)")
    mitigate.add_argument("--weight-column", default="sample_weight", help="reweigh: new column")
    mitigate.add_argument("--scores", help="thresholds: the model's score column")
    mitigate.add_argument(
        "--constraint",
        default="demographic_parity",
        choices=["demographic_parity", "equalized_odds"],
        help="thresholds: the criterion (default demographic_parity)",
    )
    mitigate.add_argument("--tolerance", type=float, help="thresholds: allowed gap in the rates")
    mitigate.add_argument(
        "--predicted-column", default="fair_prediction", help="thresholds: new prediction column"
    )


def _read(path: Path) -> pd.DataFrame:
    import pandas as pd

    if not path.is_file():
        raise DatasetError(str(path), "file not found", "give the path of a CSV or Parquet file")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DatasetError(
            str(path), f"cannot be read ({type(exc).__name__})", "give a CSV with a header row"
        ) from None


def _value(text: str, column: pd.Series) -> Any:
    """A command-line label value in the column's type (``1`` for an integer column)."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column):
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    return text


def _strategy(text: str) -> str | float:
    try:
        return float(text)
    except ValueError:
        return text


def _write(frame: pd.DataFrame, path: Path) -> None:
    from ..results import write_atomic

    try:
        if path.suffix == ".parquet":
            buffer = io.BytesIO()
            frame.to_parquet(buffer, index=False)
            write_atomic(path, buffer.getvalue())
        else:
            write_atomic(path, frame.to_csv(index=False))
    except OSError as exc:
        raise OutputError(
            str(path.parent), f"cannot write {path.name} ({exc.strerror or type(exc).__name__})"
        ) from None


def run(args: argparse.Namespace) -> int:
    """Run one action; the exit code (errors are raised as UserErrors)."""
    import pandas as pd

    from . import resample, reweigh, thresholds

    frame = _read(args.data)
    if args.label in frame.columns:
        values = [_value(v, frame[args.label]) for v in args.label_values]
    else:
        values = list(args.label_values)  # the call names the missing column
    common: dict[str, Any] = {"label": args.label, "facet": args.facet, "label_values": values}
    if args.action == "resample":
        done = resample(frame, strategy=_strategy(args.strategy), seed=args.seed, **common)
    elif args.action == "reweigh":
        done = reweigh(frame, weight_column=args.weight_column, **common)
    else:
        if args.scores is None:
            raise DatasetError("--scores", "is required for thresholds", "name the score column")
        done = thresholds(
            frame,
            scores=args.scores,
            constraint=args.constraint,
            tolerance=args.tolerance,
            predicted_column=args.predicted_column,
            seed=args.seed,
            **common,
        )
    _write(done.data, args.output)
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(done.summary().round(6).to_string(index=False))
    print(f"Wrote {len(done.data)} rows to {args.output}")
    return 0
