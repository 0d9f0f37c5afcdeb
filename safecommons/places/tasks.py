from django_tasks import task

from safecommons.accounts.models import User
from safecommons.core.permissions import actor_for_user
from safecommons.places import services
from safecommons.places.models import AreaImport


@task()
def area_import_run(import_id: int) -> None:
    area_import = AreaImport.objects.get(pk=import_id)
    actor = actor_for_user(User.objects.get(pk=area_import.created_by_id))
    services.area_import_process(import_id=import_id, actor=actor)
