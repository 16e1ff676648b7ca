# The aiocoap side of PopIoT's OSCORE interop tests (tests/PopIoT.Interop.Tests/OscoreAiocoapInteropTests.cs), written
# for them: aiocoap's own OSCORE plugtest site (contrib/oscore-plugtest/plugtest-server, loaded from aiocoap's source
# tree, unmodified) with its two server contexts B (no ID Context) and D (ID Context 37cbf3210017a2d3), plus /echo, a
# resource that answers a POST with its body and Content-Format, so a body large enough for Block1 and Block2 both
# ways exercises aiocoap's block-wise server (RFC 7959 §2.7). Any other folder in CONTEXTDIR with a settings.json is
# loaded as one more server context (the test's contexts for other AEAD algorithms).
#
# Usage: /usr/bin/python3 aiocoap_oscore_server.py --bind 127.0.0.1:PORT CONTEXTDIR
# (with aiocoap's source tree and this folder on PYTHONPATH). Prints "Plugtest server ready." when listening.

import importlib.machinery
import importlib.util
import sys
from pathlib import Path

import aiocoap
import aiocoap.resource as resource
from aiocoap.cli.common import add_server_arguments, server_context_from_arguments
from aiocoap.credentials import CredentialsMap
from aiocoap.oscore_sitewrapper import OscoreSiteWrapper
from aiocoap.util.cli import AsyncCLIDaemon

import aiocoap as _aiocoap_package

PLUGTEST = Path(_aiocoap_package.__file__).resolve().parent.parent / "contrib" / "oscore-plugtest"
_loader = importlib.machinery.SourceFileLoader("plugtest_server", str(PLUGTEST / "plugtest-server"))
_spec = importlib.util.spec_from_loader("plugtest_server", _loader)
plugtest = importlib.util.module_from_spec(_spec)
_loader.exec_module(plugtest)


class Echo(resource.Resource):
    async def render_post(self, request):
        return aiocoap.Message(code=aiocoap.CHANGED, payload=request.payload, content_format=request.opt.content_format)


class Server(AsyncCLIDaemon):
    async def start(self):
        import argparse

        p = argparse.ArgumentParser()
        p.add_argument("contextdir", type=Path)
        add_server_arguments(p)
        opts = p.parse_args()

        credentials = CredentialsMap()
        credentials[":b"] = plugtest.get_security_context("b", opts.contextdir / "b")
        credentials[":d"] = plugtest.get_security_context("d", opts.contextdir / "d")
        # Further contexts the test put beside them (other AEAD algorithms), as the plugtest loads its own.
        for extra in sorted(opts.contextdir.iterdir()):
            if extra.name not in ("b", "d") and (extra / "settings.json").exists():
                credentials[":" + extra.name] = plugtest.PlugtestFilesystemSecurityContext(extra)
        site = plugtest.PlugtestSite(credentials)
        site.add_resource(["echo"], Echo())
        self.context = await server_context_from_arguments(OscoreSiteWrapper(site, credentials), opts)
        print("Plugtest server ready.")
        sys.stdout.flush()

    async def shutdown(self):
        await self.context.shutdown()


if __name__ == "__main__":
    Server.sync_main()
