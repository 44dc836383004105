"""runhistory: self-hosted run history for machine learning.

The API follows the run history of the Azure ML SDK v1, so training scripts move over by changing
their imports::

    from runhistory import Experiment, Workspace

    run = Experiment(Workspace(), "sweep").start_logging()
    run.log("alpha", 0.1)
    run.complete()
"""

from runhistory.errors import RunHistoryError
from runhistory.model import RunStatus
from runhistory.sdk.environment import CondaDependencies, Environment
from runhistory.sdk.experiment import Experiment
from runhistory.sdk.logger import get_logger, logging_handler
from runhistory.sdk.model_registry import Model
from runhistory.sdk.run import Run
from runhistory.sdk.script_run import RunConfiguration, ScriptRunConfig
from runhistory.sdk.workspace import Workspace
from runhistory.settings import Settings

__version__ = "0.1.0"
VERSION = __version__
"""The package version under the name the Azure SDK uses (``azureml.core.VERSION``)."""

__all__ = [
    "VERSION",
    "CondaDependencies",
    "Environment",
    "Experiment",
    "Model",
    "Run",
    "RunConfiguration",
    "RunHistoryError",
    "RunStatus",
    "ScriptRunConfig",
    "Settings",
    "Workspace",
    "__version__",
    "get_logger",
    "logging_handler",
]
