"""Runs a submitted script as ``__main__`` and records an uncaught exception for the launcher.

Run by path (``python bootstrap.py SCRIPT ARGS...``) so that it needs nothing but the standard
library in the run's interpreter. The exception is written as JSON to ``RUNHISTORY_ERROR_FILE`` and
then re-raised, so the script's traceback still reaches its stderr as usual.
"""

import json
import os
import runpy
import sys
import traceback


def main() -> None:
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as error:
        error_file = os.environ.get("RUNHISTORY_ERROR_FILE")
        if error_file:
            with open(error_file, "w") as out:
                json.dump(
                    {
                        "type": type(error).__name__,
                        "message": str(error),
                        "traceback": "".join(
                            traceback.format_exception(type(error), error, error.__traceback__)
                        ),
                    },
                    out,
                )
        raise


if __name__ == "__main__":
    main()
