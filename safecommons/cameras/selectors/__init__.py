"""Reads of the camera capability, one module per part, each scoped to the acting person."""

from safecommons.cameras.selectors.registry import (  # noqa: F401
    COVERAGE_MIN_COUNT,
    CoverageCell,
    cameras_managed,
    coverage_density,
)
