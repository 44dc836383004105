"""Submitted runs on the local target, end to end: real agent and launcher processes over a real
embedded workspace (SPEC 4)."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from runhistory import Environment, Experiment, Run, ScriptRunConfig, Workspace
from runhistory.compute import set_compute_target
from runhistory.compute.local import agent_lock_path
from runhistory.errors import InvalidValueError, RunFailedError
from runhistory.sdk.waiting import wait_for_run

from ..conftest import isolated_settings

pytestmark = pytest.mark.xdist_group("compute")

FAST = {
    "agent_idle_seconds": 3.0,
    "agent_poll_seconds": 0.05,
    "heartbeat_interval": 0.5,
    "cancel_grace_seconds": 2.0,
}


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace(tmp_path / ".runhistory", settings=isolated_settings(**FAST))
    yield workspace
    workspace.close()


@pytest.fixture
def experiment(workspace: Workspace) -> Experiment:
    return Experiment(workspace, "submitted")


def project(tmp_path: Path, script: str, name: str = "train.py") -> Path:
    folder = tmp_path / "project"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(textwrap.dedent(script))
    return folder


def wait_status(run: Run, statuses: set[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = run.get_status()
        if status in statuses:
            return status
        time.sleep(0.05)
    raise AssertionError(f"run {run.id} stayed {run.get_status()}, not one of {statuses}")


SWEEP = """
    import pickle, sys, time
    from runhistory import Run
    from helper import mse

    run = Run.get_context()
    for i in range(20):
        alpha = i / 10
        run.log("alpha", alpha)
        run.log("mse", mse(alpha))
        with open(f"outputs/model_{alpha}.pkl", "wb") as out:
            pickle.dump({"alpha": alpha}, out)
        print(f"alpha={alpha} mse={mse(alpha):.4f}", flush=True)
        time.sleep(0.05)
    print("sweep done")
"""


def test_a_submitted_sweep_streams_its_prints_and_keeps_metrics_and_outputs(
    experiment: Experiment, tmp_path: Path
) -> None:
    folder = project(tmp_path, SWEEP)
    (folder / "helper.py").write_text("def mse(alpha):\n    return (alpha - 0.7) ** 2\n")
    run = experiment.submit(
        ScriptRunConfig(source_directory=folder, script="train.py"), tags={"sweep": "yes"}
    )
    assert run.get_status() in {"Queued", "Preparing", "Starting", "Running"}

    arrivals: list[tuple[float, str]] = []

    class Recorder(io.StringIO):
        def write(self, text: str) -> int:
            arrivals.append((time.time(), text))
            return super().write(text)

    out = Recorder()
    details = wait_for_run(run, show_output=True, raise_on_error=True, out=out)
    printed = out.getvalue()
    assert f"RunId: {run.id}" in printed and "Execution Summary" in printed
    assert "alpha=0.0 mse=0.4900" in printed and "sweep done" in printed
    first_line = next(t for t, text in arrivals if "alpha=0.0" in text)
    ended = datetime.datetime.fromisoformat(details["endTimeUtc"].replace("Z", "+00:00"))
    assert first_line < ended.timestamp(), "the log was shown only after the run ended"

    metrics = run.get_metrics()
    assert metrics["alpha"] == [i / 10 for i in range(20)]
    assert len(metrics["mse"]) == 20
    files = run.get_file_names()
    assert sorted(f for f in files if f.startswith("outputs/")) == sorted(
        f"outputs/model_{i / 10}.pkl" for i in range(20)
    )
    assert {"logs/std_log.txt", "logs/driver_log.txt"} <= set(files)
    assert details["status"] == "Completed" and details["scriptName"] == "train.py"
    assert run.get_tags() == {"sweep": "yes"}
    assert run.get_snapshot_id() is not None
    logs = run.get_details_with_logs()["logFiles"]
    assert "sweep done" in logs["logs/std_log.txt"]
    assert "Run ended: Completed" in logs["logs/driver_log.txt"]


def test_ten_runs_from_a_process_that_exits_never_exceed_the_target_limit(
    workspace: Workspace, tmp_path: Path
) -> None:
    set_compute_target(workspace, "pair", max_concurrent_runs=2)
    folder = project(tmp_path, "import time\ntime.sleep(0.4)\nprint('ok')\n")
    submitter = textwrap.dedent(
        f"""
        from runhistory import Experiment, ScriptRunConfig, Workspace
        experiment = Experiment(Workspace({str(workspace.location)!r}), "limit")
        for i in range(10):
            experiment.submit(ScriptRunConfig({str(folder)!r}, "train.py", arguments=[i], compute_target="pair"))
        """
    )
    env = {**os.environ, **{f"RUNHISTORY_{k.upper()}": str(v) for k, v in FAST.items()}}
    subprocess.run([sys.executable, "-c", submitter], check=True, timeout=60, env=env)
    runs = list(Experiment(workspace, "limit").get_runs())
    assert len(runs) == 10
    for run in runs:
        wait_status(run, {"Completed"}, timeout=120)
    spans = []
    for run in runs:
        details = run.get_details()
        record = run._refresh()
        assert details["target"] == "pair"
        spans.append((record.started, record.ended))
    for started, _ in spans:
        running = sum(1 for s, e in spans if s is not None and e is not None and s <= started < e)
        assert running <= 2, spans


def test_cancel_while_queued(workspace: Workspace, experiment: Experiment, tmp_path: Path) -> None:
    set_compute_target(workspace, "single", max_concurrent_runs=1)
    folder = project(tmp_path, "import time\ntime.sleep(30)\n")
    blocker = experiment.submit(ScriptRunConfig(folder, "train.py", compute_target="single"))
    queued = experiment.submit(ScriptRunConfig(folder, "train.py", compute_target="single"))
    wait_status(blocker, {"Running"})
    assert queued.get_status() == "Queued"
    queued.cancel()
    assert queued.get_status() == "Canceled"
    assert "before it started" in queued.get_details()["error"]["message"]
    blocker.cancel()
    assert wait_status(blocker, {"Canceled"}) == "Canceled"


def test_cancel_while_running_stops_the_script(experiment: Experiment, tmp_path: Path) -> None:
    folder = project(tmp_path, "import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    run = experiment.submit(ScriptRunConfig(folder, "train.py"))
    wait_status(run, {"Running"})
    asked = time.monotonic()
    run.cancel()
    assert run.get_status() in {"CancelRequested", "Canceled"}
    assert wait_status(run, {"Canceled"}, timeout=30) == "Canceled"
    assert time.monotonic() - asked < 10
    assert run.get_details()["error"]["message"] == "canceled by request"
    with pytest.raises(RunFailedError, match="Canceled"):
        run.wait_for_completion()


def test_a_script_that_outlives_sigterm_is_killed(experiment: Experiment, tmp_path: Path) -> None:
    script = """
        import signal, time
        signal.signal(signal.SIGTERM, lambda *_: print("ignoring SIGTERM", flush=True))
        print("started", flush=True)
        while True:
            time.sleep(0.1)
    """
    run = experiment.submit(ScriptRunConfig(project(tmp_path, script), "train.py"))
    wait_status(run, {"Running"})
    time.sleep(0.3)
    run.cancel()
    assert wait_status(run, {"Canceled"}, timeout=30) == "Canceled"
    driver = run.get_details_with_logs()["logFiles"]["logs/driver_log.txt"]
    assert "SIGKILL" in driver


ESCAPER = """
    import os, signal, subprocess, sys, time
    folder = sys.argv[1]
    # A grandchild in a session of its own, deaf to SIGTERM; and a daemon whose parent exits.
    hide = (
        "import os, signal, sys, time; os.setsid(); signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "open(sys.argv[1] + '.tmp', 'w').write(str(os.getpid())); "
        "os.replace(sys.argv[1] + '.tmp', sys.argv[1]); time.sleep(600)"
    )
    daemon = "import os, subprocess, sys; subprocess.Popen([sys.executable, '-c', sys.argv[1], sys.argv[2]]); os._exit(0)"
    subprocess.Popen([sys.executable, "-c", hide, f"{folder}/grandchild.pid"])
    subprocess.run([sys.executable, "-c", daemon, hide, f"{folder}/daemon.pid"], check=True)
    print("spawned", flush=True)
    while True:
        time.sleep(0.1)
"""


def read_pids(folder: Path, names: tuple[str, ...], timeout: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout
    while not all((folder / name).exists() for name in names):
        assert time.monotonic() < deadline, f"no {names} in {folder}"
        time.sleep(0.05)
    return [int((folder / name).read_text()) for name in names]


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_cancel_ends_descendants_that_left_the_session_within_the_grace(
    experiment: Experiment, tmp_path: Path
) -> None:
    pids_folder = tmp_path / "pids"
    pids_folder.mkdir()
    run = experiment.submit(
        ScriptRunConfig(project(tmp_path, ESCAPER), "train.py", arguments=[str(pids_folder)])
    )
    pids = read_pids(pids_folder, ("grandchild.pid", "daemon.pid"))
    try:
        asked = time.monotonic()
        run.cancel()
        assert wait_status(run, {"Canceled"}, timeout=60) == "Canceled"
        took = time.monotonic() - asked
        grace = FAST["cancel_grace_seconds"]
        # Before: both survived, and the run ended after grace + 10 s (its output held open).
        assert [pid for pid in pids if not gone(pid)] == []
        assert took < grace + 5, took
        assert "SIGKILL" in run.get_details_with_logs()["logFiles"]["logs/driver_log.txt"]
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_processes_a_script_leaves_running_end_with_its_run(
    experiment: Experiment, tmp_path: Path
) -> None:
    script = """
        import subprocess, sys
        hide = (
            "import os, sys, time; os.setsid(); open(sys.argv[1] + '.tmp', 'w').write(str(os.getpid())); "
            "os.replace(sys.argv[1] + '.tmp', sys.argv[1]); time.sleep(600)"
        )
        subprocess.Popen([sys.executable, "-c", hide, sys.argv[1] + "/left.pid"])
        while True:
            try:
                open(sys.argv[1] + "/left.pid").read()
                break
            except FileNotFoundError:
                pass
        print("leaving")
    """
    pids_folder = tmp_path / "pids"
    pids_folder.mkdir()
    run = experiment.submit(
        ScriptRunConfig(project(tmp_path, script), "train.py", arguments=[str(pids_folder)])
    )
    (pid,) = read_pids(pids_folder, ("left.pid",))
    try:
        assert wait_status(run, {"Completed", "Failed"}, timeout=60) == "Completed"
        assert gone(pid)
        assert "left running" in run.get_details_with_logs()["logFiles"]["logs/driver_log.txt"]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_an_uncaught_exception_fails_the_run_with_its_traceback(
    experiment: Experiment, tmp_path: Path
) -> None:
    script = """
        def train():
            raise ValueError("learning rate too high")
        train()
    """
    run = experiment.submit(ScriptRunConfig(project(tmp_path, script), "train.py"))
    with pytest.raises(RunFailedError, match="learning rate too high"):
        run.wait_for_completion()
    error = run.get_details()["error"]
    assert error["type"] == "ValueError" and error["message"] == "learning rate too high"
    assert "in train" in error["traceback"] and error["exitCode"] == 1
    assert (
        "ValueError: learning rate too high"
        in run.get_details_with_logs()["logFiles"]["logs/std_log.txt"]
    )


def test_sys_exit_code_fails_the_run(experiment: Experiment, tmp_path: Path) -> None:
    run = experiment.submit(
        ScriptRunConfig(project(tmp_path, "import sys\nsys.exit(3)\n"), "train.py")
    )
    details = run.wait_for_completion(raise_on_error=False)
    assert details["status"] == "Failed"
    assert details["error"]["message"] == "the script exited with code 3"
    assert details["error"]["exitCode"] == 3


def test_a_run_over_its_time_limit_is_canceled(experiment: Experiment, tmp_path: Path) -> None:
    folder = project(tmp_path, "import time\ntime.sleep(60)\n")
    run = experiment.submit(ScriptRunConfig(folder, "train.py", max_run_duration_seconds=1))
    details = run.wait_for_completion(raise_on_error=False)
    assert details["status"] == "Canceled"
    assert details["error"]["message"] == "exceeded max_run_duration_seconds=1"


def agent_pid(workspace: Workspace, target: str = "local") -> int:
    return int(agent_lock_path(workspace, target).read_text().strip())


def test_an_agent_killed_with_sigkill_leaves_runs_that_finish_and_a_queue_that_is_served(
    workspace: Workspace, experiment: Experiment, tmp_path: Path
) -> None:
    set_compute_target(workspace, "single", max_concurrent_runs=1)
    folder = project(tmp_path, "import time\ntime.sleep(1.5)\nprint('finished')\n")
    first = experiment.submit(ScriptRunConfig(folder, "train.py", compute_target="single"))
    second = experiment.submit(ScriptRunConfig(folder, "train.py", compute_target="single"))
    wait_status(first, {"Running"})
    os.kill(agent_pid(workspace, "single"), signal.SIGKILL)
    assert wait_status(first, {"Completed", "Failed"}, timeout=30) == "Completed"
    # The first run's launcher saw the queued run and started a new agent for it.
    assert wait_status(second, {"Completed", "Failed"}, timeout=60) == "Completed"


def launcher_pid(run: Run, timeout: float = 10) -> int:
    """The launcher's pid, from its first line in the driver log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        driver = run.get_details_with_logs()["logFiles"].get("logs/driver_log.txt", "")
        found = re.search(r"Launcher (\d+) took the run", driver)
        if found:
            return int(found.group(1))
        time.sleep(0.05)
    raise AssertionError(f"run {run.id} has no launcher line in its driver log")


def test_a_run_whose_processes_die_goes_not_responding_then_failed(
    workspace: Workspace, experiment: Experiment, tmp_path: Path
) -> None:
    folder = project(tmp_path, "import time\ntime.sleep(60)\n")
    run = experiment.submit(ScriptRunConfig(folder, "train.py"))
    wait_status(run, {"Running"})
    os.kill(agent_pid(workspace), signal.SIGKILL)
    os.kill(launcher_pid(run), signal.SIGKILL)
    # A new agent (started by the next submit) finds the silent run.
    experiment.submit(ScriptRunConfig(project(tmp_path, "print('x')\n", "other.py"), "other.py"))
    assert wait_status(run, {"NotResponding", "Failed"}, timeout=30) in {"NotResponding", "Failed"}
    assert wait_status(run, {"Failed"}, timeout=30) == "Failed"
    assert "no heartbeat" in run.get_details()["error"]["message"]
    subprocess.run(["pkill", "-f", f"{folder}/train.py"], check=False)


def test_a_printed_line_is_readable_within_half_a_second(
    experiment: Experiment, tmp_path: Path
) -> None:
    script = """
        import time
        for i in range(6):
            print(f"tick {i} {time.time():.6f}", flush=True)
            time.sleep(0.3)
    """
    run = experiment.submit(ScriptRunConfig(project(tmp_path, script), "train.py"))
    store = experiment.workspace.store
    seen: dict[int, float] = {}
    position = 0
    text = ""
    while len(seen) < 6:
        chunk, position = store.read_log(run.id, "logs/std_log.txt", position)
        now = time.time()
        text += chunk
        for line in text.splitlines():
            _, index, printed = line.split()
            seen.setdefault(int(index), now - float(printed))
        assert run.get_status() not in {"Failed", "Canceled"}
        time.sleep(0.02)
    delays = sorted(seen.values())
    assert delays[len(delays) // 2] < 0.5, delays
    assert max(delays) < 1.0, delays


LOUD = """
    import sys, time
    time.sleep(1)  # the launcher's memory is measured before the output comes
    line = "x" * 100
    block = "".join(f"{i:08d} {line}\\n" for i in range(1000))
    for _ in range(600):  # 600,000 lines, 66 MB, written as fast as the pipe takes them
        sys.stdout.write(block)
    print("loud done")
"""


def test_a_script_printing_66_mb_completes_in_bounded_memory_with_every_line_stored(
    experiment: Experiment, tmp_path: Path
) -> None:
    run = experiment.submit(ScriptRunConfig(project(tmp_path, LOUD), "train.py"))
    launcher = psutil.Process(launcher_pid(run))
    wait_status(run, {"Running"})
    before = largest = launcher.memory_info().rss
    deadline = time.monotonic() + 120
    # Merging the captured lines was quadratic: such a run sat in Finalizing for minutes, its
    # launcher holding everything printed (300 MB for a 100 MB print).
    while run.get_status() not in {"Completed", "Failed"}:
        assert time.monotonic() < deadline, f"the run stayed {run.get_status()}"
        with contextlib.suppress(psutil.NoSuchProcess):
            largest = max(largest, launcher.memory_info().rss)
        time.sleep(0.02)
    assert run.get_status() == "Completed"
    # Capture holds at most a few MiB of output (and its copies on the way to the store).
    assert largest - before < 50e6, (before, largest)
    text, _ = experiment.workspace.store.read_log(run.id, "logs/std_log.txt")
    line = "x" * 100
    block = "".join(f"{i:08d} {line}\n" for i in range(1000))
    expected = block * 600 + "loud done\n"
    assert len(text) == len(expected)
    assert (
        hashlib.sha256(text.encode()).hexdigest() == hashlib.sha256(expected.encode()).hexdigest()
    )


def test_command_runs_and_environment_interpreter(experiment: Experiment, tmp_path: Path) -> None:
    folder = project(tmp_path, "import sys\nprint(sys.executable)\n")
    environment = Environment("mine")
    environment.python.user_managed_dependencies = True
    environment.python.interpreter_path = sys.executable
    run = experiment.submit(ScriptRunConfig(folder, "train.py", environment=environment))
    run.wait_for_completion()
    assert sys.executable in run.get_details_with_logs()["logFiles"]["logs/std_log.txt"]
    shell = experiment.submit(ScriptRunConfig(folder, command="echo from-a-shell && exit 0"))
    shell.wait_for_completion()
    assert "from-a-shell" in shell.get_details_with_logs()["logFiles"]["logs/std_log.txt"]


def test_git_properties_and_snapshot_restore(experiment: Experiment, tmp_path: Path) -> None:
    folder = project(tmp_path, "print('hi')\n")
    for command in (
        ["init", "-q", "-b", "main"],
        ["add", "."],
        ["-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x"],
    ):
        subprocess.run(["git", *command], cwd=folder, check=True)
    subprocess.run(
        ["git", "remote", "add", "origin", "https://example.com/repo.git"], cwd=folder, check=True
    )
    (folder / "train.py").write_text("print('changed')\n")
    run = experiment.submit(ScriptRunConfig(folder, "train.py"))
    run.wait_for_completion()
    properties = run.get_properties()
    assert len(properties["git.commit"]) == 40
    assert properties["git.branch"] == "main"
    assert properties["git.dirty"] == "true"
    assert properties["git.repository_uri"] == "https://example.com/repo.git"
    import zipfile

    with zipfile.ZipFile(run.restore_snapshot(path=tmp_path / "snap.zip")) as archive:
        assert archive.read("train.py") == b"print('changed')\n"


def test_bad_configurations_are_refused(experiment: Experiment, tmp_path: Path) -> None:
    folder = project(tmp_path, "print(1)\n")
    with pytest.raises(InvalidValueError, match=r"'missing.py'"):
        experiment.submit(ScriptRunConfig(folder, "missing.py"))
    with pytest.raises(InvalidValueError, match="exactly one of script= or command="):
        ScriptRunConfig(folder)
    with pytest.raises(InvalidValueError, match="no compute target 'gpu'"):
        experiment.submit(ScriptRunConfig(folder, "train.py", compute_target="gpu"))
    with pytest.raises(InvalidValueError, match="max_run_duration_seconds"):
        ScriptRunConfig(folder, "train.py", max_run_duration_seconds=0)
    assert list(experiment.get_runs()) == []


def test_agent_lock_names_the_running_agent(
    workspace: Workspace, experiment: Experiment, tmp_path: Path
) -> None:
    run = experiment.submit(ScriptRunConfig(project(tmp_path, "print(1)\n"), "train.py"))
    run.wait_for_completion()
    pid = agent_pid(workspace)
    os.kill(pid, 0)  # alive until it has been idle for agent_idle_seconds


def test_a_held_agent_lock_means_an_agent_runs_until_its_holder_is_killed(
    workspace: Workspace, experiment: Experiment, tmp_path: Path
) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from filelock import FileLock; lock = FileLock(sys.argv[1]); lock.acquire(); "
            "print('held', flush=True); time.sleep(600)",
            str(agent_lock_path(workspace, "local")),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        folder = project(tmp_path, "print('ran')\n")
        waiting = experiment.submit(ScriptRunConfig(folder, "train.py"))
        time.sleep(1.0)
        assert waiting.get_status() == "Queued"  # the check saw "an agent runs" and started none
    finally:
        holder.kill()
        holder.wait()
    # The kernel released the lock with its holder; the next submit starts an agent for both.
    second = experiment.submit(ScriptRunConfig(folder, "train.py"))
    assert wait_status(waiting, {"Completed", "Failed"}) == "Completed"
    assert wait_status(second, {"Completed", "Failed"}) == "Completed"


@pytest.mark.slow
def test_pip_requirements_build_an_environment_once_and_reuse_it(
    experiment: Experiment, tmp_path: Path
) -> None:
    folder = project(tmp_path, "import six, runhistory, sys\nprint('python', sys.prefix)\n")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# the environment of the test\nsix\n")
    environment = Environment.from_pip_requirements("with-six", requirements)
    first = experiment.submit(ScriptRunConfig(folder, "train.py", environment=environment))
    first.wait_for_completion()
    second = experiment.submit(ScriptRunConfig(folder, "train.py", environment=environment))
    second.wait_for_completion()
    logs = [run.get_details_with_logs()["logFiles"] for run in (first, second)]
    assert "Building environment" in logs[0]["logs/driver_log.txt"]
    assert "Reusing environment" in logs[1]["logs/driver_log.txt"]
    prefixes = {
        line
        for log in logs
        for line in log["logs/std_log.txt"].splitlines()
        if line.startswith("python ")
    }
    assert len(prefixes) == 1 and "environments" in prefixes.pop()
