"""``python -m runhistory.cli``."""

from runhistory.cli import main

main()
