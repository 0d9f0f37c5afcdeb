"""The crime-data API: import runs, their counts and their validation reports, for the analysts and agency
admins of the run's agency, from a signed-in session."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from safecommons.core.api import SESSION_ONLY, request_actor
from safecommons.core.permissions import require
from safecommons.crimedata.selectors import imports as import_selectors

router = Router(tags=["crime data"])
MAX_LIMIT = 1000


class ImportRunOut(Schema):
    id: int
    agency_id: int
    source_name: str
    mapping_name: str
    status: str
    total_bytes: int
    processed_bytes: int
    rows_read: int
    inserted: int
    updated: int
    rejected: int
    unmapped_offenses: dict[str, int]
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RejectionOut(Schema):
    line: int
    source_id: str
    reason: str
    excerpt: str


class RejectionPage(Schema):
    count: int
    offset: int
    limit: int
    rejections: list[RejectionOut]


@router.get("/imports", response=list[ImportRunOut], auth=SESSION_ONLY)
def import_list(request):
    """The import runs of every agency you import crime data for (the latest 200)."""
    actor = request_actor(request)
    require(actor, "crime.import")  # someone who imports for no agency at all is refused, not shown []
    return list(import_selectors.import_runs(actor=actor)[:200])


@router.get("/imports/{run_id}", response=ImportRunOut, auth=SESSION_ONLY, url_name="crime_import_detail")
def import_detail(request, run_id: int):
    """One run: its status, progress (processed_bytes of total_bytes) and counts."""
    return import_selectors.import_run_get(actor=request_actor(request), run_id=run_id)


@router.get("/imports/{run_id}/rejections", response=RejectionPage, auth=SESSION_ONLY)
def import_rejections(request, run_id: int, offset: int = 0, limit: int = 100):
    """The run's rejected rows in file order, `limit` (at most 1000) from `offset`."""
    actor = request_actor(request)
    run = import_selectors.import_run_get(actor=actor, run_id=run_id)
    rows = import_selectors.import_rejections(actor=actor, run=run)
    offset, limit = max(offset, 0), min(max(limit, 1), MAX_LIMIT)
    return RejectionPage(count=rows.count(), offset=offset, limit=limit,
                         rejections=list(rows[offset:offset + limit]))
