"""``python -m pyforge_core ...`` runs the ``pyforge`` command."""

from .cli import main

main()
