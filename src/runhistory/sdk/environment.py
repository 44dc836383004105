"""The environment of a submitted run, with the Azure SDK's objects: ``Environment``,
``CondaDependencies``, ``environment.python`` and ``environment.docker``.

What runs here: the submitter's interpreter, one the user manages, or a virtual environment built
with pip (from ``from_pip_requirements``, or the pip-expressible part of a conda specification).
What cannot (packages only conda provides, docker without a docker daemon) is refused when the run
is submitted, with the reason; reading or building these objects never fails.

>>> deps = CondaDependencies.create(pip_packages=["scikit-learn"], python_version="3.11")
>>> environment = Environment("sklearn")
>>> environment.python.conda_dependencies = deps
>>> environment.pip_requirements()
['scikit-learn']
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from runhistory.errors import EnvironmentNotSupportedError, InvalidValueError

CONDA_ONLY_PACKAGES = frozenset(
    {
        "cudatoolkit",
        "cudnn",
        "nccl",
        "mkl",
        "mkl-service",
        "blas",
        "libgcc",
        "libgcc-ng",
        "libstdcxx-ng",
        "openmpi",
        "mpich",
        "cuda",
        "cuda-toolkit",
        "pytorch-cuda",
        "magma-cuda",
        "r-base",
        "nodejs",
        "gxx_linux-64",
        "gcc_linux-64",
    }
)
"""Conda packages that pip cannot install (native toolchains and libraries, not Python packages).
Any other conda package is installed with pip under the same name and version."""

_CONDA_ONLY_PREFIXES = ("r-", "cuda-")
_IGNORED_CONDA_PACKAGES = frozenset({"python", "pip", "setuptools", "wheel"})


class CondaDependencies:
    """A conda specification (``name``, ``channels``, ``dependencies`` with a ``pip:`` list), as
    ``azureml.core.conda_dependencies.CondaDependencies``.

    >>> deps = CondaDependencies.create(conda_packages=["numpy=1.26"], pip_packages=["joblib"])
    >>> list(deps.conda_packages), list(deps.pip_packages)
    (['numpy=1.26'], ['joblib'])
    """

    def __init__(
        self,
        conda_dependencies_file_path: str | os.PathLike[str] | None = None,
        _underlying_structure: Mapping[str, Any] | None = None,
    ) -> None:
        structure: Mapping[str, Any] = _underlying_structure or {}
        if conda_dependencies_file_path is not None:
            structure = _read_conda_file(Path(conda_dependencies_file_path))
        self.name: str = str(structure.get("name") or "project_environment")
        self._channels = [str(c) for c in structure.get("channels") or []]
        self._conda: list[str] = []
        self._pip: list[str] = []
        for item in structure.get("dependencies") or []:
            if isinstance(item, Mapping):
                self._pip.extend(str(p) for p in item.get("pip") or [])
            else:
                self._conda.append(str(item))

    @staticmethod
    def create(
        pip_packages: Iterable[str] | None = None,
        conda_packages: Iterable[str] | None = None,
        python_version: str | None = None,
        pin_sdk_version: bool = True,
        pip_indexurl: str | None = None,
    ) -> CondaDependencies:
        """A specification of these packages (``pin_sdk_version`` and ``pip_indexurl`` are
        accepted for Azure compatibility and ignored: this package comes with the run)."""
        deps = CondaDependencies()
        if python_version is not None:
            deps.set_python_version(python_version)
        for package in conda_packages or []:
            deps.add_conda_package(package)
        for package in pip_packages or []:
            deps.add_pip_package(package)
        return deps

    @property
    def conda_packages(self) -> Iterator[str]:
        return iter([p for p in self._conda if _package_name(p) != "python"])

    @property
    def pip_packages(self) -> Iterator[str]:
        return iter(list(self._pip))

    @property
    def conda_channels(self) -> Iterator[str]:
        return iter(list(self._channels))

    def add_conda_package(self, conda_package: str) -> None:
        if conda_package not in self._conda:
            self._conda.append(conda_package)

    def add_pip_package(self, pip_package: str) -> None:
        if pip_package not in self._pip:
            self._pip.append(pip_package)

    def add_channel(self, channel: str) -> None:
        if channel not in self._channels:
            self._channels.append(channel)

    def remove_conda_package(self, conda_package: str) -> None:
        self._conda = [p for p in self._conda if _package_name(p) != _package_name(conda_package)]

    def remove_pip_package(self, pip_package: str) -> None:
        self._pip = [p for p in self._pip if _package_name(p) != _package_name(pip_package)]

    def set_python_version(self, version: str) -> None:
        self._conda = [p for p in self._conda if _package_name(p) != "python"]
        self._conda.insert(0, f"python={version}")

    def get_python_version(self) -> str | None:
        for package in self._conda:
            if _package_name(package) == "python":
                return package.split("=", 1)[1].lstrip("=") if "=" in package else None
        return None

    def as_dict(self) -> dict[str, Any]:
        dependencies: list[Any] = list(self._conda)
        if self._pip:
            if not any(_package_name(p) == "pip" for p in self._conda):
                dependencies.append("pip")
            dependencies.append({"pip": list(self._pip)})
        return {"name": self.name, "channels": list(self._channels), "dependencies": dependencies}

    def serialize_to_string(self) -> str:
        """The specification as conda's environment.yml text."""
        import yaml

        return str(yaml.safe_dump(self.as_dict(), sort_keys=False))

    def save(self, path: str | os.PathLike[str]) -> str:
        Path(path).write_text(self.serialize_to_string())
        return str(path)

    save_to_file = save

    def pip_requirements(self) -> list[str]:
        """What pip installs: the pip packages, then every conda package pip can install
        (``numpy=1.26`` as ``numpy==1.26``); see ``conda_only_packages``."""
        translated = [
            _as_pip_requirement(p)
            for p in self._conda
            if _package_name(p) not in _IGNORED_CONDA_PACKAGES and not _conda_only(p)
        ]
        return [*self._pip, *translated]

    def conda_only_packages(self) -> list[str]:
        return [p for p in self._conda if _conda_only(p)]

    def __repr__(self) -> str:
        return f"CondaDependencies(conda={self._conda!r}, pip={self._pip!r})"


class PythonSection:
    """How the Python of an environment is found: an interpreter you manage, pip requirements,
    or conda dependencies (their pip-expressible part)."""

    def __init__(self) -> None:
        self.user_managed_dependencies = False
        self.interpreter_path: str | None = None
        self.pip_requirements: list[str] | None = None
        self.conda_dependencies: CondaDependencies | None = None
        self.conda_dependencies_file: str | None = None


class DockerSection:
    """``environment.docker``: accepted for Azure compatibility. A run whose environment enables
    docker is refused at submit unless a docker daemon answers (and then still refused: the local
    target runs processes, not containers; see docs/compute.md)."""

    def __init__(self) -> None:
        self.enabled = False
        self.base_image: str | None = None
        self.base_dockerfile: str | None = None
        self.base_image_registry: Any = None
        self.arguments: list[str] = []
        self.shm_size: str | None = None
        self.gpu_support = False
        self.shared_volumes = True


class Environment:
    """``Environment(name)``: the interpreter a submitted script runs with.

    With ``environment.python.user_managed_dependencies = True`` and ``interpreter_path`` set, that
    interpreter runs the script. ``Environment.from_pip_requirements(name, file)``, or conda
    dependencies whose packages pip can install, get a virtual environment built once per content
    of the requirements and reused. Without either, the script runs with the interpreter that
    submitted it.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.version: str | None = None
        self.python = PythonSection()
        self.docker = DockerSection()
        self.environment_variables: dict[str, str] = {}

    @staticmethod
    def from_pip_requirements(name: str, file_path: str | os.PathLike[str]) -> Environment:
        path = Path(file_path)
        try:
            lines = path.read_text().splitlines()
        except OSError as error:
            raise InvalidValueError(
                f"cannot read pip requirements {str(path)!r}: {error.strerror}"
            ) from None
        environment = Environment(name)
        environment.python.pip_requirements = [
            line.strip() for line in lines if line.strip() and not line.strip().startswith("#")
        ]
        return environment

    @staticmethod
    def from_conda_specification(name: str, file_path: str | os.PathLike[str]) -> Environment:
        """An environment from a conda ``environment.yml``: its pip packages and the conda
        packages pip can install are built with pip; conda-only packages make ``submit`` refuse
        the run."""
        environment = Environment(name)
        environment.python.conda_dependencies = CondaDependencies(file_path)
        return environment

    @staticmethod
    def _from_dict(settings: Mapping[str, Any]) -> Environment:
        environment = Environment(str(settings.get("name") or "default"))
        python = environment.python
        python.user_managed_dependencies = bool(settings.get("user_managed_dependencies"))
        python.interpreter_path = settings.get("interpreter_path")
        python.pip_requirements = settings.get("pip_requirements")
        return environment

    def pip_requirements(self) -> list[str] | None:
        """Everything pip installs for this environment, or None for an interpreter as it is."""
        wanted = list(self.python.pip_requirements or [])
        if self.python.conda_dependencies is not None:
            wanted.extend(self.python.conda_dependencies.pip_requirements())
        return wanted or None

    def check_runnable(self) -> None:
        """Raise ``EnvironmentNotSupportedError`` for what cannot run here, with the reason."""
        if self.docker.enabled:
            daemon = "a docker daemon answers" if docker_daemon_answers() else "no docker daemon"
            raise EnvironmentNotSupportedError(
                f"environment {self.name!r} enables docker (base image "
                f"{self.docker.base_image!r}); local targets run the script as a process, not in "
                f"a container ({daemon} here). Set environment.docker.enabled = False and list the "
                "packages as pip requirements"
            )
        deps = self.python.conda_dependencies
        if deps is not None and not self.python.user_managed_dependencies:
            only = deps.conda_only_packages()
            if only:
                raise EnvironmentNotSupportedError(
                    f"environment {self.name!r} needs conda-only packages {only}, which pip cannot "
                    "install. Install them into an interpreter you manage and use it "
                    "(environment.python.user_managed_dependencies = True, interpreter_path = ...), "
                    "or drop them"
                )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "user_managed_dependencies": self.python.user_managed_dependencies,
            "interpreter_path": self.python.interpreter_path,
            "pip_requirements": self.pip_requirements(),
        }

    def __repr__(self) -> str:
        return f"Environment(name={self.name!r})"


def docker_daemon_answers() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        return (
            subprocess.run(
                [docker, "info"], capture_output=True, timeout=10, check=False
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def _read_conda_file(path: Path) -> dict[str, Any]:
    import yaml

    try:
        structure = yaml.safe_load(path.read_text())
    except OSError as error:
        raise InvalidValueError(
            f"cannot read conda specification {str(path)!r}: {error.strerror}"
        ) from None
    except yaml.YAMLError as error:
        raise InvalidValueError(f"conda specification {str(path)!r} is not YAML: {error}") from None
    if not isinstance(structure, dict):
        raise InvalidValueError(
            f"conda specification {str(path)!r} must hold a mapping with 'dependencies'"
        )
    return structure


def _package_name(spec: str) -> str:
    """``conda-forge::numpy=1.26`` -> ``numpy``."""
    name = spec.split("::", 1)[-1]
    return re.split(r"[=<>!~\s\[]", name, maxsplit=1)[0].strip().lower()


def _conda_only(spec: str) -> bool:
    name = _package_name(spec)
    return name in CONDA_ONLY_PACKAGES or name.startswith(_CONDA_ONLY_PREFIXES)


def _as_pip_requirement(spec: str) -> str:
    """``numpy=1.26`` -> ``numpy==1.26.*``; ``numpy==1.26.4`` and ``numpy>=1.2`` as they are.

    >>> _as_pip_requirement("numpy=1.26"), _as_pip_requirement("conda-forge::pandas>=2")
    ('numpy==1.26.*', 'pandas>=2')
    """
    spec = spec.split("::", 1)[-1].strip()
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*=\s*([^=<>!~\s]+)(?:=\S+)?", spec)
    if match:
        name, version = match.groups()
        return f"{name}=={version}" if version.endswith("*") else f"{name}=={version}.*"
    return spec
