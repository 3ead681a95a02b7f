"""The ``buena`` command line (console script ``buena = buena_sdk.cli:main``).

Only the console script imports this package: ``import buena_sdk`` loads neither it nor
click and rich.
"""

from typing import NoReturn, Optional


def main(argv: Optional[list[str]] = None) -> NoReturn:
    from buena_sdk.cli.app import main as run

    run(argv)
