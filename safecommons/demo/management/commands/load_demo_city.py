from django.core.management.base import BaseCommand, CommandError

from safecommons.demo.city import DemoCityError, demo_city_load, demo_city_summary


class Command(BaseCommand):
    help = "Load Riverton, a fictional demo city with partners, areas, officers and agreements (once)."

    def handle(self, *args, **options):
        try:
            city = demo_city_load()
        except DemoCityError as exc:
            raise CommandError(str(exc)) from None
        if not city.loaded:
            self.stdout.write("demo city already loaded")
            return
        for line in demo_city_summary(city):
            self.stdout.write(line)
