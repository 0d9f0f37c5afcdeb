from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from safecommons.cameras.models import EvidenceItem
from safecommons.cameras.services.evidence import evidence_rehash_all


class Command(BaseCommand):
    help = "Re-hash every original in the evidence locker; fail if any does not match its SHA-256 or is missing."

    def handle(self, *args, **options):
        with tqdm(total=EvidenceItem.objects.count(), unit="files", disable=options["verbosity"] < 1) as bar:
            report = evidence_rehash_all(progress=bar.update)
        summary = (f"{report.checked} checked: {report.ok} match, {report.mismatched} do not match, "
                   f"{report.missing} missing")
        if not report.all_ok:
            raise CommandError(f"evidence integrity problem: {summary} (see the audit trail: "
                               "evidence.hash_mismatch, evidence.file_missing)")
        self.stdout.write(self.style.SUCCESS(f"evidence intact: {summary}"))
