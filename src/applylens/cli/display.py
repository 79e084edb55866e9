"""Mail text made safe to print in a terminal.

Subjects, sender names and file names come from other people. Printed as
they are, `[bold]` or `[/]` would be read as Rich markup (and `[/]` raises),
and escape sequences would reach the terminal, which can recolour it, change
its title or hide text.
"""

from __future__ import annotations

import re
from typing import Final

from rich.text import Text

# C0 and C1 control characters, DEL, and the bidirectional overrides and
# isolates that can make text display in another order than it is stored.
_UNSAFE: Final = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plain(value: str) -> Text:
    """Return `value` as literal text: no markup, no emoji codes, and every
    control character replaced by a space."""
    return Text(_UNSAFE.sub(" ", value))
