"""The ``pyforge`` console command: the same program as the Rust binary, run in-process."""

import sys

from . import _native


def main() -> None:
    """Run ``pyforge`` with this process's arguments and exit with its exit code."""
    sys.exit(_native.run_cli(["pyforge", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
