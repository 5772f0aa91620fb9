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
* ``s3://`` URIs are refused here until S3 input is enabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

__all__ = ["Locations"]


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
    """

    config_dir: Path | None = None
    input_root: Path | None = None

    def local(self, uri: str, where: str) -> Path:
        """The local path of ``uri`` (named at JSON path ``where``).

        Raises
        ------
        ConfigError
            An ``s3://`` URI (not supported yet), or in container mode a path that
            resolves outside ``input_root``.
        """
        if uri.startswith("s3://"):
            raise ConfigError(
                where,
                "not supported yet: s3:// URIs in the config",
                "download the file and give a local path",
            )
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
