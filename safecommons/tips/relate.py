"""Related tips: earlier tips close in place and time whose words overlap, for an analyst to judge.

The text measure is lexical (RapidFuzz's token-set ratio over normalised terms) rather than a
sentence-embedding model: it runs offline with no model weights, costs microseconds per pair, and its
reason can be shown ("both mention: white, van, ladder"). docs/tips.md explains the choice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from safecommons.core.sphere import distance_m

WINDOW = timedelta(days=14)
RADIUS_M = 1500.0
MAX_CANDIDATES = 5000
MIN_TEXT_SCORE = 0.55
MIN_SHARED_TERMS = 2
KEEP = 10

_STOPWORDS = frozenset(
    # English
    "a about above after again all also am an and any are around as at be been before being below between both "
    "but by can could did do does doing down during each few for from further had has have having he her here "
    "him his how i if in into is it its just me more most my near no nor not now of off on once only or other "
    "our out over own same saw see seen she should so some someone something still such than that the their "
    "them then there these they this those through to too under until up very was we were what when where "
    "which while who why will with would you your "
    # Spanish
    "al algo algun alguien como con cuando de del desde donde el ella ellos en entre era es esa ese esta este "
    "estaba fue ha hay la las le les lo los mas me mi muy no nos o para pero por que se sin sobre su sus un "
    "una uno unos vi y ya".split()
)
_WORD = re.compile(r"[a-z0-9]+")
# A licence plate: letters and digits mixed, 5-8 long (e.g. ABC1234, 7XYZ123).
_PLATE = re.compile(r"^(?=.*\d)(?=.*[a-z])[a-z0-9]{5,8}$")


def terms_of(*texts: str) -> str:
    """The distinctive words of a tip, lower-case, unaccented, stop words out, sorted and unique."""
    joined = " ".join(texts)
    plain = unicodedata.normalize("NFKD", joined).encode("ascii", "ignore").decode().lower()
    words = {w for w in _WORD.findall(plain) if w not in _STOPWORDS and (len(w) > 2 or w.isdigit())}
    return " ".join(sorted(words))


@dataclass(frozen=True)
class Candidate:
    id: int
    terms: str
    longitude: float | None
    latitude: float | None
    event_at: datetime


@dataclass(frozen=True)
class Match:
    id: int
    score: float
    text_score: float
    distance_m: float | None
    hours_apart: float
    shared_terms: list[str]


def rank(*, terms: str, longitude: float | None, latitude: float | None, event_at: datetime,
         candidates: list[Candidate]) -> list[Match]:
    """Score each candidate; keep those whose words overlap enough, best first."""
    mine = set(terms.split())
    if not mine:
        return []
    matches = []
    for candidate in candidates:
        shared = mine.intersection(candidate.terms.split())
        plate_shared = any(_PLATE.match(word) for word in shared)
        if len(shared) < MIN_SHARED_TERMS and not plate_shared:
            continue
        text = fuzz.token_set_ratio(terms, candidate.terms) / 100.0
        if plate_shared:
            text = max(text, 0.9)
        if text < MIN_TEXT_SCORE:
            continue
        hours = abs((event_at - candidate.event_at).total_seconds()) / 3600.0
        time_closeness = max(0.0, 1.0 - hours / (WINDOW.total_seconds() / 3600.0))
        metres = None
        place_closeness = 0.3  # where one side gave no place, place neither helps nor rules out
        if None not in (longitude, latitude, candidate.longitude, candidate.latitude):
            metres = distance_m(longitude, latitude, candidate.longitude, candidate.latitude)
            if metres > RADIUS_M:
                continue
            place_closeness = 1.0 - metres / RADIUS_M
        score = 0.6 * text + 0.25 * place_closeness + 0.15 * time_closeness
        matches.append(Match(candidate.id, round(score, 4), round(text, 4),
                             None if metres is None else round(metres, 1), round(hours, 2), sorted(shared)[:12]))
    matches.sort(key=lambda m: m.score, reverse=True)
    return matches[:KEEP]
