"""Text from answers made safe to print on a terminal: one function, used where reports are rendered.

A respondent id or a medication name is whatever the input file held; printed as it is, an
escape sequence in it could retitle the window (OSC), recolour or clear the screen (CSI) or
worse. `printable` removes every escape sequence and every other C0/C1 control character
except newline and tab. An introducer without its terminator loses only the introducer, so
the text after it is still shown (harmlessly).
"""

from __future__ import annotations

import re

_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"                   # CSI: colours, cursor moves, clear screen
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"  # OSC to BEL or ST: window title, hyperlinks
    r"|(?:\x1b[P^_X]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]"                                     # any other escape (ESC c resets the terminal)
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but newline and tab, DEL, C1


def printable(text: str) -> str:
    """`text` without terminal escape sequences or control characters (newline and tab stay)."""
    if text.isprintable():  # the common case: nothing to remove
        return text
    return _CONTROL.sub("", _SEQUENCE.sub("", text))
