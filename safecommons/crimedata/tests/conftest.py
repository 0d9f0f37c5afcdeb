import pytest


@pytest.fixture(autouse=True)
def _crime_import_files_in_tmp(settings, tmp_path):
    """Uploaded exports wait under VAR_DIR: a test's go to its own folder."""
    settings.VAR_DIR = tmp_path / "var"
