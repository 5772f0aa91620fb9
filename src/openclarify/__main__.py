"""``python -m openclarify`` is the ``openclarify`` command."""

from .cli import console

console()
