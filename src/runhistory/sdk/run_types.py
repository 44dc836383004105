"""Run type names: the Azure SDK's (``azureml.scriptrun``) shown and accepted, the short stored
ones (``scriptrun``) accepted too.

>>> stored_run_type("azureml.scriptrun"), azure_run_type("scriptrun")
('scriptrun', 'azureml.scriptrun')
"""

from __future__ import annotations

_AZURE_NAMES = {"scriptrun": "azureml.scriptrun"}
_STORED_NAMES = {azure.lower(): stored for stored, azure in _AZURE_NAMES.items()}


def azure_run_type(stored: str) -> str:
    """The name ``Run.type`` and ``get_details()`` show for a stored run type."""
    return _AZURE_NAMES.get(stored, stored)


def stored_run_type(name: str | None) -> str | None:
    """The stored run type a ``type=`` filter means (Azure's name or the short one)."""
    if name is None:
        return None
    return _STORED_NAMES.get(name.lower(), name)
