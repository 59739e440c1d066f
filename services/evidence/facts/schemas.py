"""Fact pages as scoring reads them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class FactPage(BaseModel):
    """Current facts of a period (docs/scheme-reference.md §5), and the cursor of the next page."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "period_id": "2026-Q1",
        "items": [{"id": "sub-6f1c…", "subject": "p001", "indicator": "regular", "fact": "score",
                   "points": "46", "assessor": "科室负责人"}],
        "next": None,
    }]})

    period_id: str
    items: list[dict[str, Any]]
    next: str | None
