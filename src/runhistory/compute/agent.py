"""Entry point of a local compute agent process (started detached by ``LocalTarget.ensure_agent``).

RUNHISTORY_WORKSPACE=WS python -m runhistory.compute.agent --target local
"""

from __future__ import annotations

import argparse
import contextlib
import logging

# Launchers are forked from the agent: importing what they use here makes each run start fast.
import runhistory.compute.launcher
import runhistory.snapshot  # noqa: F401
from runhistory.compute.base import get_compute_target
from runhistory.compute.local import LocalAgent, LocalTarget
from runhistory.sdk.workspace import Workspace


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m runhistory.compute.agent")
    parser.add_argument("--target", default="local")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s agent %(message)s")
    workspace = Workspace()
    target = get_compute_target(workspace, args.target)
    if not isinstance(target, LocalTarget):
        raise SystemExit(f"compute target {args.target!r} is not a local target")
    with contextlib.suppress(KeyboardInterrupt):
        LocalAgent(workspace, target).serve()
    workspace.close()


if __name__ == "__main__":
    main()
