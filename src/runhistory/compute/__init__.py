"""Compute targets: where submitted runs queue and run (see ``base.ComputeTarget``)."""

from runhistory.compute.base import (
    ComputeTarget,
    compute_targets,
    get_compute_target,
    set_compute_target,
)

__all__ = ["ComputeTarget", "compute_targets", "get_compute_target", "set_compute_target"]
