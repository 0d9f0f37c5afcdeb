"""The database itself refuses UPDATE and DELETE on audit entries, whatever code runs against it."""

from django.db import migrations

from safecommons.core.audit import append_only


def install(apps, schema_editor):
    append_only.install(schema_editor.connection)
    # The chain head exists from the start, so the first entries written at once all lock the same row.
    apps.get_model("core", "AuditChainHead").objects.get_or_create(pk=1, defaults={"last_seq": 0, "last_hash": "0" * 64})


def uninstall(apps, schema_editor):
    append_only.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
