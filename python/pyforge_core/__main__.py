"""``python -m pyforge_core ...`` runs the ``pyforge`` command with these arguments.

The command is the Rust binary that a binary wheel of pyforge-core installs into the scripts
folder (``bin/``) of the installation that holds this package, beside its ``python``. This module
only finds it there and hands over (its arguments, its exit code). A wheel built from the source
distribution has no binary: then this says how to get one and exits with 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

_NAME = "pyforge.exe" if os.name == "nt" else "pyforge"


def _scripts_dir() -> Path:
    """The scripts folder of the installation scheme this package is installed under: a venv's or
    the interpreter's own (the default scheme), or the user's (``pip install --user``)."""
    package_root = Path(__file__).resolve().parent.parent
    for scheme in (sysconfig.get_default_scheme(), sysconfig.get_preferred_scheme("user")):
        paths = sysconfig.get_paths(scheme)
        if package_root in {Path(paths["purelib"]).resolve(), Path(paths["platlib"]).resolve()}:
            return Path(paths["scripts"])
    return Path(sysconfig.get_path("scripts"))


def main() -> None:
    """Run the installed ``pyforge`` binary with this process's arguments and exit with its code."""
    exe = _scripts_dir() / _NAME
    if not exe.is_file():
        sys.stderr.write(
            f"pyforge: the pyforge command is not installed (no {exe}).\n"
            "This pyforge-core was built without it, as a wheel built from the source distribution is.\n"
            "Install pyforge-core's binary wheel (manylinux2014 x86_64, which carries the command),\n"
            "or build the command from PyForge's source: cargo install --path crates/pyforge-cli\n"
        )
        sys.exit(1)
    argv = [str(exe), *sys.argv[1:]]
    if os.name == "posix":
        os.execv(exe, argv)  # the binary replaces this process: its exit code is the exit code
    sys.exit(subprocess.call(argv))


if __name__ == "__main__":
    main()
