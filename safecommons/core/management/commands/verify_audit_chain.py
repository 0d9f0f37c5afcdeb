from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from safecommons.core.audit.models import AuditEntry
from safecommons.core.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain and name the first broken entry."

    def handle(self, *args, **options):
        with tqdm(total=AuditEntry.objects.count(), unit="entries", disable=options["verbosity"] < 1) as bar:
            report = audit_chain_verify(progress=bar.update)
        if not report.ok:
            raise CommandError(f"audit chain broken at entry #{report.first_broken_seq}: {report.problem} "
                               f"({report.checked} entries before it are intact)")
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {report.checked} entries"))
