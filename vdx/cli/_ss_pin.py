"""The token PIN for ``vdx ss init`` and ``vdx ss token login``, kept out of shell history.

In order: ``--pin`` (explicit, and then in the history by the user's choice), ``--pin-file``
(its first line), ``VDX_SS_TOKEN_PIN`` (the variable the security server's settings use for
the same PIN), else asked on the terminal without echo.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer

from vdx.cli._ss_session import usage

PIN_ENV = "VDX_SS_TOKEN_PIN"
MAX_PIN_FILE = 4096

PinOption = Annotated[
    str | None,
    typer.Option("--pin", help="The PIN itself (stays in shell history: prefer the others)."),
]
PinFileOption = Annotated[
    Path | None, typer.Option("--pin-file", help="A file whose first line is the token PIN.")
]


def read_pin(pin: str | None, pin_file: Path | None, *, confirm: bool) -> str:
    """The PIN from the first source given; ``confirm`` asks twice on the terminal."""
    if pin is not None and pin_file is not None:
        raise usage("give --pin or --pin-file, not both")
    if pin is None and pin_file is not None:
        try:
            if pin_file.stat().st_size > MAX_PIN_FILE:
                raise usage(f"{pin_file} is too large for a PIN file")
            lines = pin_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise usage(f"Cannot read the PIN file {pin_file}: {error}") from None
        pin = lines[0] if lines else ""
    if pin is None:
        pin = os.environ.get(PIN_ENV) or None
    if pin is None:
        pin = getpass.getpass("Token PIN: ")
        if confirm and getpass.getpass("Token PIN again: ") != pin:
            raise usage("the two PINs differ")
    if not pin:
        raise usage("the token PIN is empty")
    return pin
