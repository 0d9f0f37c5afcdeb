"""The alerts area's rows of the access matrix (core/tests/test_access_matrix.py), one module per part."""

from safecommons.alerts.tests import access_alerts, access_delivery, access_newsletters, access_subscriptions

ACCESS = {**access_subscriptions.ACCESS, **access_alerts.ACCESS, **access_delivery.ACCESS,
          **access_newsletters.ACCESS}
