"""``python -m accord.cli``: the same as the ``accord`` command."""

from accord.cli import app

app()
