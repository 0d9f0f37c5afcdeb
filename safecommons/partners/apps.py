from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "safecommons.partners"

    def ready(self) -> None:
        from django.db import transaction
        from django.db.models.signals import post_delete, post_save

        from safecommons.partners.models import Agreement, AgreementGrant
        from safecommons.partners.selectors import agreements_changed

        def changed(sender, **kwargs) -> None:
            # Now, and again after commit: a read between the change and its commit may have cached the old
            # answer under the new generation.
            agreements_changed()
            transaction.on_commit(agreements_changed, robust=True)

        for model in (Agreement, AgreementGrant):
            uid = f"agreements-changed-{model.__name__}"
            post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}-save")
            post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}-delete")
