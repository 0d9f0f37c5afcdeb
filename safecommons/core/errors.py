class Refused(Exception):
    """A request that breaks a business rule (not a permission): shown to the person as a clear message."""
