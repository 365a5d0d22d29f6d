"""``python -m synsetdb`` runs the command-line interface."""

from .cli import main

main()
