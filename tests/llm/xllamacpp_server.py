"""llama.cpp's own HTTP server from the prebuilt ``xllamacpp`` wheel, as a process of its own.

    python tests/llm/xllamacpp_server.py MODEL.gguf ALIAS PORT

``make test`` installs ``xllamacpp`` when the package registry has a wheel for this platform (no
compiler, seconds instead of the 6 to 11 minutes llama-cpp-python takes to build); the fixture in
``conftest.py`` starts this script then, and llama-cpp-python's server otherwise. Both speak the same
OpenAI-compatible protocol on ``/v1``.
"""

from __future__ import annotations

import signal
import sys
import threading

import xllamacpp as xlc


def main(model: str, alias: str, port: int) -> None:
    params = xlc.CommonParams()
    params.model.path = model
    params.model_alias = {alias}
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = 4096
    params.n_parallel = 1
    params.cpuparams.n_threads = 2
    params.cpuparams_batch.n_threads = 2
    server = xlc.Server(params)
    print(f"xllamacpp serving {alias} at {server.listening_address}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    del server


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
