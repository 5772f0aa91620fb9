"""Mutated configs through ``validate`` and ``analyze``: a result or one located UserError.

The seeds are every valid config we ship or generate — ``sample_configs/`` and the
SDK-generated ``tests/sdk_configs/cases`` — each with its dataset.  Hypothesis
applies one to three mutations at random JSON paths: delete the key, add an
unknown key, replace the value by arbitrary JSON (wrong types, ``null``, huge and
negative numbers, unicode and very long strings, lists where strings belong and
the reverse), wrap it in a list or unwrap it.  Each mutant is validated
(``load_config`` + the job's plan) and, when it has no predictor (which would
call a model), analysed on the seed's dataset.

``make test`` runs 300 mutants; ``-m fuzz`` (CI) runs 10,000.  Generation is
derandomised so that CI is reproducible; a failure prints the mutant.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import openclarify
from openclarify.config import load_config
from openclarify.job import plan_analysis

from .harness import outcome

ROOT = Path(__file__).resolve().parents[2]
FAST_EXAMPLES = 300
FULL_EXAMPLES = 10_000


@dataclass(frozen=True)
class Seed:
    name: str
    config: dict[str, Any]
    dataset: Path


def _seeds() -> list[Seed]:
    seeds = []
    for folder in sorted((ROOT / "sample_configs").iterdir()):
        config_file = folder / "analysis_config.json"
        if not config_file.is_file():
            continue
        data = [
            p
            for p in folder.iterdir()
            if p.name not in ("analysis_config.json", "README.md") and p.suffix != ".py"
        ]
        # the model cases read another case's data (and are only validated)
        dataset = data[0] if data else ROOT / "sample_configs" / "pre_training_csv" / "loans.csv"
        seeds.append(Seed(folder.name, json.loads(config_file.read_text()), dataset))
    for case in sorted((ROOT / "tests" / "sdk_configs" / "cases").iterdir()):
        seeds.append(
            Seed(
                f"sdk/{case.name}",
                json.loads((case / "analysis_config.json").read_text()),
                case / "data",
            )
        )
    # configs with a model: validated only (analysing them would call the model)
    for case in sorted((ROOT / "tests" / "predict" / "sdk").iterdir()):
        if (case / "analysis_config.json").is_file():
            seeds.append(
                Seed(
                    f"predict/{case.name}",
                    json.loads((case / "analysis_config.json").read_text()),
                    ROOT / "sample_configs" / "pre_training_csv" / "loans.csv",
                )
            )
    return seeds


SEEDS = _seeds()

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "all", "a" * 5000, "名前", "\u202eevil", "$.x[", "s3://", "-1"])
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(_paths(value, (*prefix, i)))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def mutants(draw: st.DrawFn) -> tuple[Seed, dict[str, Any]]:
    seed = draw(st.sampled_from(SEEDS))
    document = copy.deepcopy(seed.config)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths))
        operation = draw(
            st.sampled_from(["delete", "replace", "add_key", "wrap", "unwrap", "stringify"])
        )
        if not path:  # the root: only keys can be added
            operation = "add_key"
        parent = _get(document, path[:-1]) if path else None
        value = _get(document, path)
        if operation == "delete" and isinstance(parent, dict | list):
            del parent[path[-1]]
        elif operation == "replace":
            parent[path[-1]] = draw(_json)
        elif operation == "add_key":
            target = value if isinstance(value, dict) else document
            target[draw(st.text(min_size=1, max_size=10))] = draw(_json)
        elif operation == "wrap":
            parent[path[-1]] = [value]
        elif operation == "unwrap" and isinstance(value, list) and value:
            parent[path[-1]] = value[0]
        elif operation == "stringify":
            parent[path[-1]] = json.dumps(value)
    return seed, document


def check(seed: Seed, document: dict[str, Any]) -> None:
    def validate() -> None:
        plan_analysis(load_config(document))

    result = outcome("config.validate", validate)
    if result == "ok" and "predictor" not in document:
        outcome(
            "config.analyze",
            lambda: openclarify.analyze(document, seed.dataset, config_dir=seed.dataset.parent),
        )


_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


def test_every_seed_is_valid() -> None:
    assert len(SEEDS) >= 10
    for seed in SEEDS:
        plan_analysis(load_config(seed.config))


@settings(max_examples=FAST_EXAMPLES, **_SETTINGS)  # type: ignore[arg-type]
@given(mutants())
def test_mutated_configs_fast(case: tuple[Seed, dict[str, Any]]) -> None:
    check(*case)


@pytest.mark.fuzz
@settings(max_examples=FULL_EXAMPLES, **_SETTINGS)  # type: ignore[arg-type]
@given(mutants())
def test_mutated_configs_full(case: tuple[Seed, dict[str, Any]]) -> None:
    check(*case)
