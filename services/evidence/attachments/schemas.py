"""Attachment payloads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AttachmentRead(BaseModel):
    """An attachment's metadata; `sha256` is re-checked on every download."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "id": "0b6e…", "submission_id": "6f1c…", "filename": "整改报告.pdf", "content_type": "application/pdf",
        "size": 183204, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "uploaded_by": "alice", "created_at": "2026-03-02T02:00:00Z"}]})

    id: str
    submission_id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    created_at: datetime
