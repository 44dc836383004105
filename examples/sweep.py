"""The demo: a Ridge-regression alpha sweep on scikit-learn's diabetes data, recorded as runs.

One parent run holds the sweep; each alpha is a child run that logs ``alpha``, ``mse``, a
per-epoch-like learning curve, a predictions-vs-truth plot and the fitted model, then the best
model is registered. Everything lands in the embedded workspace ``./.runhistory``; the summary at
the end is read back from it through the same API.

    python examples/sweep.py            # or: scripts/demo
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
from matplotlib import pyplot
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split

from runhistory import Experiment, Model, Run, Workspace

ALPHAS = [0.0, 0.01, 0.05, 0.1, 0.3, 0.5, 1.0]


def train_one(parent: Run, alpha: float, data: tuple[np.ndarray, ...], scratch: Path) -> float:
    x_train, x_test, y_train, y_test = data
    with parent.child_run(name=f"alpha={alpha}") as run:
        run.tag("alpha", alpha)
        run.log("alpha", alpha)
        model = Ridge(alpha=alpha)
        # A learning curve: the test error as the model sees more of the training data.
        for size in range(20, len(x_train) + 1, 20):
            model.fit(x_train[:size], y_train[:size])
            run.log(
                "mse_by_train_size", mean_squared_error(y_test, model.predict(x_test)), step=size
            )
        model.fit(x_train, y_train)
        predictions = model.predict(x_test)
        mse = float(mean_squared_error(y_test, predictions))
        run.log("mse", mse)
        run.log_table(
            "coefficients",
            {"feature": list(load_diabetes().feature_names), "weight": model.coef_.tolist()},
        )
        figure = pyplot.figure(figsize=(4, 4))
        pyplot.scatter(y_test, predictions, s=8)
        pyplot.plot([y_test.min(), y_test.max()], [y_test.min(), y_test.max()], "k--", linewidth=1)
        pyplot.xlabel("truth")
        pyplot.ylabel("prediction")
        pyplot.title(f"alpha={alpha}  mse={mse:.0f}")
        run.log_image("predictions_vs_truth", plot=figure)
        pyplot.close(figure)
        model_file = scratch / f"model_alpha_{alpha}.pkl"
        model_file.write_bytes(pickle.dumps(model))
        run.upload_file(f"outputs/model_alpha_{alpha}.pkl", model_file)
    return mse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--workspace", default=".runhistory", help="workspace folder (default: ./.runhistory)"
    )
    parser.add_argument("--experiment", default="diabetes-ridge", help="experiment name")
    args = parser.parse_args()

    workspace = Workspace(args.workspace)
    experiment = Experiment(workspace, args.experiment)
    x, y = load_diabetes(return_X_y=True)
    data = tuple(train_test_split(x, y, test_size=0.25, random_state=42))

    started = time.perf_counter()
    source = Path(__file__).parent
    with experiment.start_logging(snapshot_directory=source, outputs=None, display_name="alpha sweep") as sweep, \
            tempfile.TemporaryDirectory() as scratch:  # fmt: skip
        sweep.add_properties({"dataset": "sklearn.diabetes", "model": "Ridge"})
        results = {alpha: train_one(sweep, alpha, data, Path(scratch)) for alpha in ALPHAS}
        best_alpha = min(results, key=results.__getitem__)
        sweep.log_list("mse_by_alpha", [results[a] for a in ALPHAS])
        sweep.log("best_alpha", best_alpha)
        sweep.log("best_mse", results[best_alpha])
        best_run = next(r for r in sweep.get_children() if r.get_tags()["alpha"] == str(best_alpha))
        model = best_run.register_model(
            "diabetes-ridge", f"outputs/model_alpha_{best_alpha}.pkl", tags={"alpha": best_alpha}
        )
    elapsed = time.perf_counter() - started
    print_summary(workspace, experiment, sweep, model, elapsed)


def print_summary(
    workspace: Workspace, experiment: Experiment, sweep: Run, model: Model, elapsed: float
) -> None:
    print(f"Workspace:  {workspace.location}")
    sweeps = len(list(experiment.get_runs()))
    print(
        f"Experiment: {experiment.name}  ({sweeps} sweep{'s' if sweeps != 1 else ''} recorded so far)"
    )
    print(f"Sweep run:  {sweep.id}  status={sweep.get_status()}  {elapsed:.1f} s")
    print()
    print(f"  {'#':>3} {'run':<16} {'alpha':>6} {'mse':>9}  files")
    children = sorted(sweep.get_children(), key=lambda r: float(r.get_tags()["alpha"]))
    metrics = sweep.get_metrics(recursive=True)
    for child in children:
        values = metrics[child.id]
        files = len(child.get_file_names())
        print(
            f"  {child.number:>3} {child.display_name:<16} {values['alpha']:>6} {values['mse']:>9.1f}  {files}"
        )
    best = sweep.get_metrics()
    print()
    print(
        f"Best alpha {best['best_alpha']} with mse {best['best_mse']:.1f}; registered as model "
        f"{model.name!r} version {model.version}"
    )
    print(f"Source snapshot {sweep.get_snapshot_id()[:12]}... of {Path(__file__).parent.name}/")
    print()
    print(
        f"Compare the runs: rh history list -w {workspace.location} -e {experiment.name} --sort 'metric:mse asc'"
    )


if __name__ == "__main__":
    main()
