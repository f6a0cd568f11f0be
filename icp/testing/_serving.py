"""Running a fake provider's HTTP server on 127.0.0.1 in a background thread, and stopping it."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer


def serve_in_background(server: ThreadingHTTPServer, name: str) -> threading.Thread:
    """Serve ``server`` on a daemon thread (one thread per request, none kept at close); returns the thread."""
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
    thread.start()
    return thread


def shut_down(server: ThreadingHTTPServer | None, thread: threading.Thread | None) -> None:
    """Stop serving, release the port, and wait (briefly) for the serving thread to end."""
    if server is not None:
        server.shutdown()
        server.server_close()
    if thread is not None:
        thread.join(timeout=5)
