"""Where the paths named in a config are found — and the folder they may not leave.

A config names files besides the dataset: ``dataset_uri``, ``facet_dataset_uri``,
``predicted_label_dataset_uri``, a SHAP baseline file and (our extension) an
in-process ``model_path``.  :meth:`Locations.local` turns each into a local path:

* a relative path is looked up in the working directory, then next to the config
  (the CLI's behaviour: ``openclarify analyze --config dir/cfg.json`` finds files
  named relative to either);
* in container mode (``input_root`` set, the SageMaker Processing layout) a relative
  path is resolved next to the config only, and every path — relative, absolute or
  through a symbolic link — must resolve inside ``input_root``
  (``/opt/ml/processing``, where SageMaker mounts every ``ProcessingInput``), so a
  config cannot make the job read ``/etc/passwd`` or a credentials file and put
  its values into results or logs;
* an ``s3://`` URI (an object, or a prefix standing for every object under it) is
  downloaded through boto3 (:mod:`openclarify.storage`) into its own folder under
  ``scratch`` and read from there; credentials come from the standard boto3 chain.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError, DatasetError, UserError

if TYPE_CHECKING:
    from .config import AnalysisConfig

__all__ = ["Locations", "locate_model", "resolve_dataset"]


@dataclass(frozen=True)
class Locations:
    """How to find the files a config names.

    Attributes
    ----------
    config_dir:
        Folder of ``analysis_config.json`` (relative paths are resolved against it).
    input_root:
        Container mode: the folder every path must stay inside; ``None`` outside a
        container (a local user may read any file they can).
    scratch:
        Folder for S3 downloads (the job's temporary folder).
    """

    config_dir: Path | None = None
    input_root: Path | None = None
    scratch: Path | None = None

    def local(self, uri: str, where: str) -> Path:
        """The local path of ``uri`` (named at JSON path ``where``).

        Raises
        ------
        ConfigError
            In container mode, a path that resolves outside ``input_root``.
        UserError
            An S3 object or prefix that cannot be downloaded (``DatasetError``;
            ``ConfigError`` for the SHAP baseline, which belongs to the config).
        """
        if uri.startswith("s3://"):
            return self.download(uri, where)
        candidate = Path(uri)
        relative = not candidate.is_absolute() and self.config_dir is not None
        if relative and (self.input_root is not None or not candidate.exists()):
            candidate = self.config_dir / candidate  # type: ignore[operator]
        if self.input_root is not None:
            root = self.input_root.resolve()
            if not candidate.resolve().is_relative_to(root):
                raise ConfigError(
                    where,
                    f"the path leaves the job's input folder {root}",
                    f"give a path under {root} (a ProcessingInput destination)",
                )
        return candidate

    def download(self, uri: str, where: str) -> Path:
        """Download an ``s3://`` object or prefix; the local file or folder to read."""
        from . import storage

        if self.scratch is None:
            raise ConfigError(where, "s3:// URIs can only be read while a job runs")
        # one folder per URI: a prefix is read back as its whole folder
        folder = self.scratch / hashlib.sha256(uri.encode()).hexdigest()[:16]
        if folder.exists():  # the same URI named twice (e.g. two side datasets)
            files = [p for p in folder.iterdir()]
            return files[0] if len(files) == 1 and files[0].is_file() else folder
        folder.mkdir(parents=True)
        error: type[UserError] = ConfigError if where.startswith("$.methods") else DatasetError
        return storage.download(uri, folder, where=where, error=error)


def resolve_dataset(
    config: AnalysisConfig, dataset: Path | None, locations: Locations | None = None
) -> Path:
    """The dataset path.

    From the command line the explicit ``--dataset`` wins; in the container
    ``dataset_uri`` takes precedence over the ``dataset`` processing input
    (contract §1.3).  An ``s3://`` ``dataset_uri`` is downloaded.
    """
    locations = locations or Locations()
    in_container = locations.input_root is not None
    if dataset is not None and not (in_container and config.dataset_uri):
        return dataset
    if config.dataset_uri:
        return locations.local(config.dataset_uri, "$.dataset_uri")
    raise ConfigError("dataset", "no dataset given", "pass --dataset PATH or set $.dataset_uri")


def locate_model(config: AnalysisConfig, locations: Locations) -> AnalysisConfig:
    """``config`` with an in-process ``model_path`` found like every other path.

    Relative to the config (not the working directory), and confined to the
    input folder in container mode.
    """
    predictor = config.predictor
    extension = predictor.openclarify if predictor is not None else None
    if predictor is None or extension is None or extension.model_path is None:
        return config
    if extension.model_path.startswith("python-object:"):  # a live model, not a path
        return config
    located = locations.local(extension.model_path, "$.predictor.openclarify.model_path")
    extension = extension.model_copy(update={"model_path": str(located)})
    predictor = predictor.model_copy(update={"openclarify": extension})
    return config.model_copy(update={"predictor": predictor})
