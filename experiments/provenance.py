"""Provenance of results: which engine produced a run, and with which libraries.

A run id includes :func:`model_version`, a hash of the engine's source and data (every
``abm/**/*.py``, ``abm/data/*.csv``, ``abm/presets/**/*.toml`` and ``agents/*.py``) plus the
package version. Changing any of these files invalidates stored runs: a resumed sweep reruns
them instead of mixing results of two engines. Workers check that their engine hashes to the
driver's value before running anything (a stale install on a remote worker would otherwise
file its results under the wrong id).
"""

from __future__ import annotations

import hashlib
import platform
from functools import cache
from importlib import metadata
from pathlib import Path

import abm
import agents

ENGINE_GLOBS: tuple[tuple[str, str], ...] = (
    ("abm", "**/*.py"),
    ("abm", "data/*.csv"),
    ("abm", "presets/**/*.toml"),
    ("agents", "*.py"),
)
LIBRARIES: tuple[str, ...] = (
    "mesa",
    "numpy",
    "polars",
    "pyarrow",
    "pydantic",
    "SALib",
    "scipy",
    "dask",
    "distributed",
)


def package_version() -> str:
    """Installed version of the ``aimarket`` distribution (``"unknown"`` when not installed)."""
    try:
        return metadata.version("aimarket")
    except metadata.PackageNotFoundError:
        return "unknown"


def engine_files() -> list[tuple[str, Path]]:
    """The files that define the engine, as (relative name, absolute path), sorted by name."""
    roots = {"abm": Path(abm.__file__).parent, "agents": Path(agents.__file__).parent}
    found: dict[str, Path] = {}
    for package, pattern in ENGINE_GLOBS:
        root = roots[package]
        for path in root.glob(pattern):
            if path.is_file() and "__pycache__" not in path.parts:
                found[f"{package}/{path.relative_to(root).as_posix()}"] = path
    return sorted(found.items())


@cache
def model_version() -> str:
    """Hash (16 hex digits) of the engine's source, data and presets plus the package version.

    Computed once per process: a worker that imported the engine keeps running that engine, so
    its version must not change under it either.
    """
    digest = hashlib.sha256(f"aimarket {package_version()}\n".encode())
    for name, path in engine_files():
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries a result depends on, for the manifest."""
    out = {"python": platform.python_version(), "aimarket": package_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
