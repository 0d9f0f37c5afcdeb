import threading

from django.core.management.base import BaseCommand

from safecommons.core.schedule import schedule_run_due, scheduler_loop


class Command(BaseCommand):
    help = "Enqueue scheduled jobs (tip retention…) when due: forever, or once with --once (for cron)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between passes")

    def handle(self, *args, once, interval, **options):
        if once:
            for name in schedule_run_due():
                self.stdout.write(f"enqueued {name}")
            return
        scheduler_loop(stop=threading.Event(), interval=interval)
