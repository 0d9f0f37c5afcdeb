from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from safecommons.accounts.models import User
from safecommons.core.permissions import actor_for_user
from safecommons.partners.models import Organisation
from safecommons.places.models import AreaKind
from safecommons.places.services import areas_import_geojson


class Command(BaseCommand):
    help = "Import areas (jurisdictions, sectors, beats, neighborhoods) from a GeoJSON FeatureCollection."

    def add_arguments(self, parser):
        parser.add_argument("path", help="GeoJSON file, WGS84 longitude/latitude")
        parser.add_argument("--agency", required=True, help="the agency's slug")
        parser.add_argument("--kind", required=True, choices=AreaKind.values)
        parser.add_argument("--actor", required=True, help="email of the agency admin or analyst importing")
        parser.add_argument("--name-field", default="name")
        parser.add_argument("--code-field", default="code")

    def handle(self, *args, path, agency, kind, actor, name_field, code_field, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"no file at {source}")
        try:
            organisation = Organisation.objects.get(slug=agency)
            person = User.objects.get(email__iexact=actor)
        except (Organisation.DoesNotExist, User.DoesNotExist) as exc:
            raise CommandError(str(exc)) from None
        with tqdm(unit="features", disable=options["verbosity"] < 1) as bar:
            report = areas_import_geojson(
                source=source.read_bytes(), agency=organisation, kind=kind, actor=actor_for_user(person),
                name_field=name_field, code_field=code_field, progress=bar.update,
            )
        for problem in report.problems:
            self.stderr.write(str(problem))
        self.stdout.write(f"{report.total} features: {report.created} created, {report.updated} updated, "
                          f"{len(report.problems)} rejected")
        if report.problems and not report.imported:
            raise CommandError("nothing was imported")
