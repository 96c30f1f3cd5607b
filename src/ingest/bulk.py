"""Working on many records at once.

Loading or comparing tens of thousands of records creates millions of objects and next to no
garbage cycles, yet CPython's cyclic collector scans every live object again each time enough new
ones have appeared: at 100,000 records it took more than half of both loading and diffing, and made
them grow faster than the number of records. `no_cycle_collection` pauses it for such a block
(reference counting still frees everything that is not a cycle; cycles made inside are collected
after it).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block; it runs again after, if it ran before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
