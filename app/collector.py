"""The dashboard server's garbage collector, kept off the objects every page imports.

Python's full collection walks every object the process tracks, and holds the GIL while it does: every
thread of the server waits, the event loop that sends the pages their answers among them. After the pages'
imports (Streamlit, plotly, pandas, pyarrow) that is about 118,000 objects, 59 ms a collection on this
machine with nothing else running. With 16 viewers of a live run on 2 cores (the browsers had the cores too),
the server ran 6-7 full collections a minute, of 141-524 ms each (1.25-1.96 s in all). `gc.freeze()` moves
the objects alive now to a generation the collector does not walk, so a collection walks what the sessions
made since: 7-8 a minute, of 28-304 ms (0.50-0.86 s in all; bench/README.md, "The server's pauses at 16
viewers").

What a freeze costs: an object frozen is never collected as part of a cycle, so one that is alive at the
freeze and dropped later in a cycle (a cached Plotly figure, say) stays for the process's life; an object
freed by its reference count is freed as before. So the freeze comes only after a run that imported many
modules (the first page, the Latent lab's torch: a handful of times in a server's life), after a full
collection, so no garbage of the moment is kept.
"""

from __future__ import annotations

import gc
import sys

# modules imported since the last freeze that make a new one worth its cost (at the first run about 1,300 are
# there, Streamlit's and the pages'; plotly imports a few more at a time as figures use them, and they do not)
NEW_MODULES = 100
_modules_at_freeze = 0


def freeze_imports() -> None:
    """After a page's run: if it imported many modules, collect, then freeze what is alive."""
    global _modules_at_freeze
    if len(sys.modules) - _modules_at_freeze >= NEW_MODULES:
        _modules_at_freeze = len(sys.modules)
        gc.collect()
        gc.freeze()
