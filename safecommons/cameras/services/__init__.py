"""Writes of the camera capability, one module per part: registry, canvass, requests, evidence, live,
notices. Import the module you need (`from safecommons.cameras.services import canvass as canvass_services`);
the registry's services are also here, as the first part was written before the package."""

from safecommons.cameras.services.registry import (  # noqa: F401
    CSV_COLUMNS,
    CSV_REQUIRED,
    ImportReport,
    camera_fields_clean,
    camera_register,
    camera_status_set,
    camera_update,
    cameras_import_csv,
)
