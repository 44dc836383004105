"""Screenshots of the studio's main views for the README, from real runs: records the demo
(examples/sweep.py and examples/showcase.py) into a fresh workspace, serves it with
``runhistory ui`` and photographs the views with Debian's chromium through Playwright.

    .venv/bin/python scripts/screenshots.py [--out docs/images] [--theme light|dark]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("RUNHISTORY_CHROMIUM", "/usr/bin/chromium")


def record(workspace: Path) -> None:
    for example in ("sweep.py", "showcase.py"):
        subprocess.run(
            [sys.executable, str(ROOT / "examples" / example), "--workspace", str(workspace)],
            check=True,
            stdout=subprocess.DEVNULL,
        )


def serve(workspace: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "runhistory.cli", "ui", "-w", str(workspace), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


def photograph(url: str, out: Path, theme: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(
            viewport={"width": 1280, "height": 800}, color_scheme=theme, device_scale_factor=1
        )
        page.goto(f"{url}/")
        page.locator("tr[data-experiment]").first.wait_for()
        page.screenshot(path=str(out / "experiments.png"))
        page.goto(
            f"{url}/experiments/diabetes-ridge?cols=number,name,status,created,duration,"
            "tags,m:alpha:last,m:mse:last,m:mse:min&sort=m:mse:last&charts=mse_by_train_size"
        )
        page.locator("tbody tr").first.wait_for()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "dashboard.png"), full_page=True)
        page.goto(f"{url}/experiments/showcase")
        page.locator("tbody tr td.name a", has_text="every metric kind").click()
        page.wait_for_timeout(1000)
        page.screenshot(path=str(out / "run-overview.png"))
        page.get_by_role("tab", name="metrics").click()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "run-metrics.png"), full_page=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "images"))
    parser.add_argument("--theme", default="light", choices=["light", "dark"])
    parser.add_argument("--port", type=int, default=5077)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder) / ".runhistory"
        record(workspace)
        server = serve(workspace, args.port)
        try:
            photograph(f"http://127.0.0.1:{args.port}", out, args.theme)
        finally:
            server.terminate()
            server.wait()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main()
