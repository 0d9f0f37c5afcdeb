class Refused(Exception):
    """A request that breaks a business rule (not a permission): shown to the person as a clear message."""


class Throttled(Refused):
    """Too many attempts in a short time: a 429, with a message saying how long to wait."""
