from django.db import migrations, models


class Migration(migrations.Migration):
    """An index on Subscription.updated_at: the matching index's catch-up asks what changed lately."""

    dependencies = [
        ("alerts", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(fields=["updated_at"], name="alerts_subscription_updated"),
        ),
    ]
