import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from safecommons.places.services import addresses_import


class Command(BaseCommand):
    help = "Load the address gazetteer from CSV with columns number, street, longitude, latitude[, postcode]."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--replace", action="store_true", help="drop the current gazetteer first")

    def handle(self, *args, path, replace, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"no file at {source}")
        with source.open(newline="", encoding="utf-8-sig") as handle, tqdm(unit="rows") as bar:
            rows = ((line, row) for line, row in enumerate(csv.DictReader(handle), start=2))
            count, problems = addresses_import(rows=rows, replace=replace, progress=bar.update)
        for problem in problems:
            self.stderr.write(problem)
        self.stdout.write(f"{count} addresses loaded, {len(problems)} rows rejected")
