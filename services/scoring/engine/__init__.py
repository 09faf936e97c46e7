"""Kaoping's scoring engine: pure numpy/scipy, no Flask and no database.

``compute(scheme, table, seed=…, draws=…)`` scores a :class:`Table` of indicator values
under a :class:`Scheme` (read from the scheme document with :func:`from_document`) and
returns a :class:`Result`. See docs/scoring-engine.md.
"""

from services.scoring.engine.document import from_document
from services.scoring.engine.errors import EngineError
from services.scoring.engine.options import Options
from services.scoring.engine.pipeline import compute
from services.scoring.engine.result import Result, Uncertainty
from services.scoring.engine.scheme import Scheme
from services.scoring.engine.table import Table

__all__ = [
    "EngineError",
    "Options",
    "Result",
    "Scheme",
    "Table",
    "Uncertainty",
    "compute",
    "from_document",
]
