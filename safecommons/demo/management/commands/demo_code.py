from django.core.management.base import BaseCommand

from safecommons.demo.city import demo_totp_code


class Command(BaseCommand):
    help = "Print the current sign-in code of the demo authenticator secret (for testers without an app)."

    def handle(self, *args, **options):
        code, seconds = demo_totp_code()
        self.stdout.write(code)
        self.stdout.write(f"valid for {seconds} more seconds")
