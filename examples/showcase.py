"""Runs that show every view of the studio: one run logging every metric kind (scalars over
steps, a list, rows, a table, images over steps, a confusion matrix, an accuracy table,
residuals, predictions) with child runs, and a run that fails with a traceback.

    python examples/showcase.py            # or: scripts/demo
"""

from __future__ import annotations

import argparse
import math

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot

from runhistory import Experiment, Workspace

CONFUSION = {"class_labels": ["cat", "dog", "bird"], "matrix": [[41, 3, 1], [5, 37, 2], [2, 1, 44]]}
ACCURACY = {
    "class_labels": ["cat", "dog"],
    "probability_thresholds": [0.0, 0.25, 0.5, 0.75, 1.0],
    "percentile_thresholds": [0, 25, 50, 75, 100],
    "probability_tables": [
        [[50, 50, 0, 0], [48, 30, 20, 2], [45, 10, 40, 5], [35, 3, 47, 15], [0, 0, 50, 50]],
        [[50, 50, 0, 0], [47, 28, 22, 3], [42, 9, 41, 8], [30, 2, 48, 20], [0, 0, 50, 50]],
    ],
    "percentile_tables": [
        [[50, 50, 0, 0], [48, 30, 20, 2], [45, 10, 40, 5], [35, 3, 47, 15], [0, 0, 50, 50]],
        [[50, 50, 0, 0], [47, 28, 22, 3], [42, 9, 41, 8], [30, 2, 48, 20], [0, 0, 50, 50]],
    ],
}
RESIDUALS = {
    "bin_edges": [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0],
    "bin_counts": [2, 9, 31, 35, 12, 3],
}
PREDICTIONS = {
    "bin_edges": [0.0, 1.0, 2.0, 3.0],
    "bin_counts": [12, 30, 8],
    "bin_averages": [0.6, 1.4, 2.3],
    "bin_errors": [0.1, 0.2, 0.3],
}
EPOCHS = 30


def plot_of(epoch: int) -> object:
    figure, axes = pyplot.subplots(figsize=(3, 3))
    xs = [i / 20 for i in range(60)]
    axes.plot(xs, [math.sin(x * (1 + epoch / 10)) for x in xs])
    axes.set_title(f"epoch {epoch}")
    return figure


def every_kind(experiment: Experiment) -> str:
    with experiment.start_logging(
        snapshot_directory=None, outputs=None, display_name="every metric kind",
        tags={"purpose": "showcase"},
    ) as run:  # fmt: skip
        run.add_properties({"model": "cnn-small", "dataset": "synthetic"})
        for epoch in range(EPOCHS):
            loss = 2.0 * math.exp(-epoch / 8) + 0.05 * math.sin(epoch)
            run.log("loss", loss, step=epoch)
            run.log("accuracy", 1 - loss / 2.2, step=epoch)
            run.log_row("learning_curve", epoch=epoch, train=loss, valid=loss * 1.1 + 0.02)
            if epoch % 10 == 0:
                figure = plot_of(epoch)
                run.log_image("samples", plot=figure)
                pyplot.close(figure)  # type: ignore[arg-type]
        run.log_list("class_sizes", [45, 44, 47])
        run.log_table("per_class", {"class": ["cat", "dog", "bird"], "f1": [0.9, 0.86, 0.95]})
        run.log_confusion_matrix("confusion", {"data": CONFUSION})
        run.log_accuracy_table("accuracy_table", {"data": ACCURACY})
        run.log_residuals("residuals", {"data": RESIDUALS})
        run.log_predictions("predictions", {"data": PREDICTIONS})
        for fold in range(3):
            with run.child_run(name=f"fold {fold}") as child:
                for step in range(10):
                    child.log("loss", 1.0 / (1 + step + fold), step=step)
                child.log("accuracy", 0.8 + fold / 50)
        print(f"every metric kind: run {run.id}")
        return run.id


def failing(experiment: Experiment) -> None:
    try:
        with experiment.start_logging(
            snapshot_directory=None, outputs=None, display_name="out of memory"
        ) as run:
            run.log("loss", 1.7, step=0)
            raise MemoryError("the data loader asked for 64 GiB")
    except MemoryError:
        print(f"failed run:        run {run.id}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", default=".runhistory", help="workspace folder")
    parser.add_argument("--experiment", default="showcase", help="experiment name")
    args = parser.parse_args()
    workspace = Workspace(args.workspace)
    experiment = Experiment(workspace, args.experiment)
    every_kind(experiment)
    failing(experiment)
    workspace.close()


if __name__ == "__main__":
    main()
