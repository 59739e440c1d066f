"""kaohe's assessment engine: pure, no I/O, importing nothing of the services, the gateway, FastAPI or
SQLAlchemy (scheme-format.md).

- `scheme`: the scheme model, loading, validation (`parse_scheme`), expressions;
- `canonical`: the canonical JSON and the inputs hash;
- `scoring`: facts → `PeriodScores` (`score_period`);
- `ranking`: `PeriodScores` → the result document (`rank_period`);
- `evaluate`: scheme document + facts document → result document, in one call.
"""

from .evaluate import evaluate
from .ranking import rank_period
from .scheme import parse_scheme
from .scoring import score as _score_module
from .scoring import score_period

__all__ = ["compiled", "evaluate", "parse_scheme", "rank_period", "score_period"]


def compiled() -> bool:
    """Whether the engine runs compiled (a wheel built with KAOHE_MYPYC=1, setup.py) or as Python."""
    return not str(_score_module.__file__).endswith(".py")
