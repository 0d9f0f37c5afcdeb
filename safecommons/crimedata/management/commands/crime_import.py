import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from safecommons.core.csvsafe import csv_row
from safecommons.core.forms import is_whole_number
from safecommons.crimedata.mapping import MappingError, mapping_load, shipped_mappings
from safecommons.crimedata.models import ImportRejection, ImportRun
from safecommons.crimedata.services.imports import crime_import_file
from safecommons.partners.models import Organisation, OrganisationKind

SHOWN_REJECTIONS = 50


class Command(BaseCommand):
    help = ("Import crime records from a CSV or XLSX export, as a mapping says. Re-importing a file updates "
            "the records it imported (matched by source id). Exits non-zero when the run failed.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="the export: CSV (UTF-8) or XLSX")
        parser.add_argument("--mapping", required=True,
                            help=f"a shipped mapping ({', '.join(shipped_mappings())}) or a YAML/JSON mapping file")
        parser.add_argument("--agency", required=True, help="the agency's slug or id")
        parser.add_argument("--report", help="write every rejected row (line, source id, reason) to this CSV file")

    def handle(self, *args, path, mapping, agency, report, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"no file at {source}")
        try:
            chosen = mapping_load(mapping)
        except MappingError as exc:
            raise CommandError(f"mapping: {exc}") from None
        found = Organisation.objects.filter(kind=OrganisationKind.AGENCY)
        organisation = (found.filter(pk=int(agency)) if is_whole_number(agency) else found.filter(slug=agency)).first()
        if organisation is None:
            raise CommandError(f"no agency {agency!r} (give its slug or id)")

        with tqdm(total=source.stat().st_size, unit="B", unit_scale=True, desc=source.name,
                  disable=options["verbosity"] < 1, file=self.stderr._out) as bar:
            def progress(done: int) -> None:
                bar.update(done - bar.n)

            run = crime_import_file(actor=None, agency=organisation, path=source, mapping=chosen,
                                    progress=progress)
        self._rejections(run, report)
        self.stdout.write(f"{run.rows_read} rows read: {run.inserted} inserted, {run.updated} updated, "
                          f"{run.rejected} rejected")
        if run.unmapped_offenses:
            listed = ", ".join(f"{value} ({count})" for value, count in list(run.unmapped_offenses.items())[:20])
            self.stdout.write(f"unmapped offenses ({sum(run.unmapped_offenses.values())} rows, imported as "
                              f"unclassified): {listed}")
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(f"the import failed: {run.error}")

    def _rejections(self, run: ImportRun, report: str | None) -> None:
        rejections = ImportRejection.objects.filter(run=run).order_by("line")
        if report:
            with open(report, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["line", "source_id", "reason", "excerpt"])
                for rejection in rejections.iterator(chunk_size=5000):
                    writer.writerow(csv_row([rejection.line, rejection.source_id, rejection.reason,
                                             rejection.excerpt]))
            self.stdout.write(f"rejected rows written to {report}")
            return
        for rejection in rejections[:SHOWN_REJECTIONS]:
            self.stderr.write(f"line {rejection.line}: {rejection.reason}")
        if run.rejected > SHOWN_REJECTIONS:
            self.stderr.write(f"… and {run.rejected - SHOWN_REJECTIONS} more (use --report FILE for all)")
