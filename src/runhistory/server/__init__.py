"""The runhistory server: a FastAPI app over one ``Store`` (see ``app.create_app``).

Importing this package imports FastAPI; ``import runhistory`` never does.
"""

from runhistory.server.app import create_app

__all__ = ["create_app"]
