"""The dashboard server's garbage collector, kept off the objects every page imports.

Python's full collection walks every object the process tracks, and holds the GIL while it does: every
thread of the server waits, the event loop that sends the pages their answers among them. After the pages'
imports (Streamlit, plotly, pandas, pyarrow) that is about 118,000 objects, 59 ms a collection on this
machine with nothing else running. With 16 viewers of a live run on 2 cores, the server ran 7 full
collections in a minute, of 141-214 ms each (the browsers had the cores too). `gc.freeze()` moves the
objects alive now to a generation the collector does not walk, so a collection walks what the sessions
made since: 8 in a minute, of 28-84 ms (bench/README.md, "The server's pauses at 16 viewers"). A module and
what it holds stay for the process's life anyway; an object frozen and later dropped is still freed by its
reference count, and only a cycle of such objects would stay (a freeze happens only after a run that imported
something new).
"""

from __future__ import annotations

import gc
import sys

_modules_at_freeze = 0


def freeze_imports() -> None:
    """After a page's run: if modules were imported since the last freeze, freeze what is alive now."""
    global _modules_at_freeze
    if len(sys.modules) != _modules_at_freeze:
        _modules_at_freeze = len(sys.modules)
        gc.freeze()
