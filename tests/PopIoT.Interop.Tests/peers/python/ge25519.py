# A stand-in for the optional `ge25519` module (Group OSCORE key checks), written for PopIoT's interop tests: aiocoap
# enables OSCORE only when it imports (aiocoap.defaults.oscore_missing_modules), and plain RFC 8613 OSCORE never calls
# it. Anything that does use it fails loudly.


class _NotAvailable:
    def __init__(self, *args, **kwargs):
        raise RuntimeError("ge25519 stand-in: Group OSCORE is not available in PopIoT's interop tests")

    def __getattr__(self, name):
        raise RuntimeError("ge25519 stand-in: Group OSCORE is not available in PopIoT's interop tests")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _NotAvailable
