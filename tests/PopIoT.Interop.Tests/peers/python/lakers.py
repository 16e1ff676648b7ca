# A stand-in for the optional `lakers` module (EDHOC, RFC 9528), written for PopIoT's interop tests: aiocoap enables
# OSCORE only when it imports (aiocoap.defaults.oscore_missing_modules), and plain RFC 8613 OSCORE never calls it.
# Anything that does use it fails loudly, so a test can never pass through a fake EDHOC.


class _NotAvailable:
    def __init__(self, *args, **kwargs):
        raise RuntimeError("lakers stand-in: EDHOC is not available in PopIoT's interop tests")

    def __class_getitem__(cls, item):
        # Type hints such as list[lakers.EADItem] are evaluated when aiocoap.edhoc is imported.
        return cls


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _NotAvailable
