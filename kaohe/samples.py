"""Where the sample schemes are (the source tree's, or an installed image's), and those `kaohe demo` loads by
default."""

from __future__ import annotations

import sys
from pathlib import Path

# the source tree's samples; an installed image carries them in its prefix (docker/Dockerfile)
EXAMPLES = next((p for p in (Path(__file__).resolve().parent.parent / "examples" / "schemes",
                             Path(sys.prefix) / "share" / "kaohe" / "schemes") if p.is_dir()),
                Path(__file__).resolve().parent.parent / "examples" / "schemes")
DEFAULT_SCHEMES = (
    "000-1-community-quarterly",
    "001-7-procuratorate-office",
    "003-1-meiling-staff-quarterly",
    "003-15-office-staff-quarterly",
)
