"""kaohe's services. Importing the package first decides how the engines run (services/native.py)."""

from services import native as _native

_native.install()
