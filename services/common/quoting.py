"""User input quoted in a message, made visible: the services' and the gateway's name for `kaohe.quoting` (control
and bidirectional-formatting characters written as `\\uXXXX`), which every marked message already applies to its
text parameters (kaohe.i18n)."""

from __future__ import annotations

from kaohe.quoting import INVISIBLE, needs_escaping, visible

__all__ = ["INVISIBLE", "needs_escaping", "visible"]
