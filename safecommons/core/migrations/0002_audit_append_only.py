"""The database itself refuses UPDATE and DELETE on audit entries, whatever code runs against it."""

from django.db import migrations

from safecommons.core.audit import append_only


def install(apps, schema_editor):
    append_only.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    append_only.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
