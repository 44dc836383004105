"""Submitted runs: ``ScriptRunConfig``, ``Environment`` and ``Experiment.submit``.

>>> config = ScriptRunConfig(source_directory=".", script="train.py", arguments=["--alpha", 0.5])
>>> config.arguments
['--alpha', '0.5']
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runhistory.errors import EnvironmentNotSupportedError, InvalidValueError
from runhistory.model import RunStatus
from runhistory.sdk.environment import CondaDependencies, Environment

if TYPE_CHECKING:
    from runhistory.sdk.experiment import Experiment
    from runhistory.sdk.run import Run

SCRIPT_RUN = "scriptrun"
DEFAULT_MAX_RUN_DURATION = 2_592_000


class RunConfiguration:
    """How a script runs, as ``azureml.core.RunConfiguration``: ``environment``, ``target``,
    ``max_run_duration_seconds``, ``script`` and ``arguments``. ``ScriptRunConfig.run_config`` is
    one; setting ``src.run_config.environment`` or ``.target`` is the same as passing them to
    ``ScriptRunConfig``. ``node_count`` and ``framework`` are kept for Azure compatibility; a run
    of more than one node is refused at submit.

    >>> RunConfiguration().target
    'local'
    """

    def __init__(
        self,
        script: str | None = None,
        arguments: Sequence[Any] | None = None,
        framework: str = "Python",
        communicator: str = "None",
        conda_dependencies: CondaDependencies | None = None,
    ) -> None:
        self.script = script
        self.arguments = [str(a) for a in (arguments or [])]
        self.framework = framework
        self.communicator = communicator
        self.target: str = "local"
        self.environment = Environment("default")
        if conda_dependencies is not None:
            self.environment.python.conda_dependencies = conda_dependencies
        self.max_run_duration_seconds: float | None = None
        self.node_count = 1

    def __repr__(self) -> str:
        return f"RunConfiguration(target={self.target!r}, environment={self.environment.name!r})"


class ScriptRunConfig:
    """What to run: a script (or a shell ``command``) in ``source_directory``, with arguments,
    on a compute target, in an environment, within a time limit."""

    def __init__(
        self,
        source_directory: str | os.PathLike[str],
        script: str | None = None,
        arguments: Sequence[Any] | None = None,
        run_config: RunConfiguration | None = None,
        compute_target: Any = None,
        environment: Environment | None = None,
        distributed_job_config: Any = None,
        resume_from: Any = None,
        max_run_duration_seconds: float = DEFAULT_MAX_RUN_DURATION,
        command: str | Sequence[str] | None = None,
        docker_runtime_config: Any = None,
    ) -> None:
        if (script is None) == (command is None):
            raise InvalidValueError("ScriptRunConfig takes exactly one of script= or command=")
        if distributed_job_config is not None or resume_from is not None:
            raise InvalidValueError(
                "ScriptRunConfig(distributed_job_config=..., resume_from=...) is not supported: "
                "runs here are single-node; leave them out"
            )
        self.source_directory = str(source_directory)
        self.script = script
        self.command = command if command is None or isinstance(command, str) else list(command)
        self.arguments = [str(a) for a in (arguments or [])]
        # As in the Azure SDK, the run configuration holds the target, the environment and the
        # time limit; arguments given here take precedence over it.
        self.run_config = run_config if run_config is not None else RunConfiguration()
        if compute_target is not None:
            self.compute_target = compute_target
        if environment is not None:
            self.environment = environment
        if not max_run_duration_seconds or max_run_duration_seconds <= 0:
            raise InvalidValueError(
                f"max_run_duration_seconds={max_run_duration_seconds!r} must be a positive number"
            )
        if run_config is None or run_config.max_run_duration_seconds is None:
            self.run_config.max_run_duration_seconds = float(max_run_duration_seconds)

    @property
    def compute_target(self) -> str:
        return self.run_config.target

    @compute_target.setter
    def compute_target(self, target: Any) -> None:
        self.run_config.target = (
            target if isinstance(target, str) else getattr(target, "name", str(target))
        )

    @property
    def environment(self) -> Environment:
        return self.run_config.environment

    @environment.setter
    def environment(self, environment: Environment) -> None:
        self.run_config.environment = environment

    @property
    def max_run_duration_seconds(self) -> float:
        return float(self.run_config.max_run_duration_seconds or DEFAULT_MAX_RUN_DURATION)

    def validate(self) -> Path:
        folder = Path(self.source_directory).resolve()
        if not folder.is_dir():
            raise InvalidValueError(f"source_directory {self.source_directory!r} is not a folder")
        if self.script is not None and not (folder / self.script).is_file():
            raise InvalidValueError(f"script {self.script!r} is not a file in {str(folder)!r}")
        return folder

    def check_runnable(self) -> None:
        """Refuse, with the reason, a configuration that cannot run here."""
        if self.run_config.node_count != 1:
            raise EnvironmentNotSupportedError(
                f"run_config.node_count={self.run_config.node_count!r}: runs here are single-node; "
                "set it to 1"
            )
        self.environment.check_runnable()

    def to_dict(self) -> dict[str, Any]:
        settings = self.environment.to_dict()
        if not settings["user_managed_dependencies"] and not settings["pip_requirements"]:
            settings["interpreter_path"] = sys.executable
        return {
            "script": self.script,
            "command": self.command,
            "arguments": self.arguments,
            "environment": settings,
            "max_run_duration_seconds": self.max_run_duration_seconds,
        }


def submit(
    experiment: Experiment, config: ScriptRunConfig, tags: Mapping[str, Any] | None = None
) -> Run:
    """Snapshot the source, queue the run on its target and make sure the target's agent runs."""
    from runhistory.compute import get_compute_target
    from runhistory.sdk.interactive import current_user
    from runhistory.sdk.run import Run, _tags
    from runhistory.snapshot import take_snapshot

    if not isinstance(config, ScriptRunConfig):
        raise InvalidValueError(f"submit takes a ScriptRunConfig, not {type(config).__name__}")
    folder = config.validate()
    config.check_runnable()
    workspace = experiment.workspace
    target = get_compute_target(workspace, config.compute_target)
    clean_tags = _tags(tags or {})
    settings = workspace.settings
    store = workspace.store
    snapshot_id = take_snapshot(
        store, folder, max_bytes=settings.snapshot_max_bytes, max_files=settings.snapshot_max_files
    )
    record = store.create_run(
        experiment.id,
        status=RunStatus.QUEUED,
        run_type=SCRIPT_RUN,
        target=target.name,
        script_name=config.script
        or (config.command if isinstance(config.command, str) else " ".join(config.command or [])),
        arguments=config.arguments,
        tags=clean_tags,
        properties=git_properties(folder),
        config={**config.to_dict(), "submitted_by": current_user()},
    )
    store.update_run(record.id, snapshot_id=snapshot_id)
    record.snapshot_id = snapshot_id
    target.ensure_agent(workspace)
    return Run._wrap(experiment, record)


def git_properties(folder: Path) -> dict[str, str]:
    """Commit, branch, dirty flag and remote of the git repository holding ``folder``, if any."""

    def git(*args: str) -> str | None:
        try:
            result = subprocess.run(
                ["git", *args], cwd=folder, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return result.stdout.strip() if result.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {}
    properties = {"git.commit": commit}
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    if branch:
        properties["git.branch"] = branch
    status = git("status", "--porcelain", "--untracked-files=no")
    properties["git.dirty"] = "true" if status else "false"
    remote = git("config", "--get", "remote.origin.url")
    if remote:
        properties["git.repository_uri"] = without_credentials(remote)
    return properties


def without_credentials(remote: str) -> str:
    """A git remote URL without the user and password (often a token) that an
    ``https://user:token@host/...`` URL carries: run properties are shown to every reader.

    An ssh URL keeps its user name (``ssh://git@host/repo``), which is not a secret, and loses a
    password; the scp-like ``git@host:repo`` form holds no password and is kept as it is.

    >>> without_credentials("https://ci:ghp_secret@github.com/org/repo.git")
    'https://github.com/org/repo.git'
    >>> without_credentials("git@github.com:org/repo.git")
    'git@github.com:org/repo.git'
    """
    from urllib.parse import urlsplit, urlunsplit

    if "://" not in remote:
        return remote
    try:
        parts = urlsplit(remote)
    except ValueError:  # not a URL urllib can split (a bad IPv6 host): drop what precedes '@'
        scheme, _, rest = remote.partition("://")
        authority, slash, path = rest.partition("/")
        return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return remote
    user, _, _ = userinfo.partition(":")
    keep_user = parts.scheme in _SSH_SCHEMES and user
    netloc = f"{user}@{host}" if keep_user else host
    return urlunsplit(parts._replace(netloc=netloc))


_SSH_SCHEMES = frozenset({"ssh", "git+ssh", "ssh+git"})
