"""``runhistory logs`` and ``runhistory cancel``."""

from __future__ import annotations

import subprocess
import time

from tests.cli.conftest import BIN, CliInvoker
from tests.sdk.conftest import Populated, add_log


def test_logs_prints_every_stream_with_a_header(populated: Populated, cli: CliInvoker) -> None:
    result = cli("logs", "sweep:1")

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "==> logs/driver_log.txt <==\nstarted\n\n==> logs/std_log.txt <==\nepoch 1\nepoch 2\n"
    )


def test_logs_of_one_stream_is_its_text_alone(cli: CliInvoker) -> None:
    assert cli("logs", "sweep:1", "--stream", "std_log.txt").stdout == "epoch 1\nepoch 2\n"
    missing = cli("logs", "sweep:1", "--stream", "nope.txt")
    assert missing.exit_code == 3
    assert "has no log 'logs/nope.txt'" in missing.stderr


def test_logs_of_a_run_without_logs_says_so(cli: CliInvoker) -> None:
    result = cli("logs", "other:1")

    assert result.exit_code == 0
    assert result.stdout == "" and "has no logs" in result.stderr


def test_logs_follow_prints_new_output_until_the_run_ends(fresh: Populated) -> None:
    run = fresh.active
    add_log(fresh.workspace, run, "logs/std_log.txt", "step 1\n")
    follower = subprocess.Popen(
        [str(BIN / "runhistory"), "logs", run.id, "-f", "-w", fresh.location],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(0.8)
        assert follower.poll() is None, "logs -f ended while the run was still running"
        add_log(fresh.workspace, run, "logs/std_log.txt", "step 2\n")
        time.sleep(0.5)
        add_log(fresh.workspace, run, "logs/std_log.txt", "done\n")
        run.complete()
        out, err = follower.communicate(timeout=20)
    finally:
        follower.kill()
    assert follower.returncode == 0, err
    assert out == "==> logs/std_log.txt <==\nstep 1\nstep 2\ndone\n"


def test_cancel_stops_an_active_run(fresh: Populated, fresh_cli: CliInvoker) -> None:
    result = fresh_cli("cancel", "sweep:4")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"Run {fresh.active.id} is Canceled\n"
    assert fresh.active.get_status() == "Canceled"


def test_cancel_of_a_finished_run_is_a_conflict(fresh: Populated, fresh_cli: CliInvoker) -> None:
    result = fresh_cli("cancel", "sweep:1")

    assert result.exit_code == 4
    assert result.stderr.startswith("error: ") and "already Completed" in result.stderr
    assert fresh.baseline.get_status() == "Completed"
