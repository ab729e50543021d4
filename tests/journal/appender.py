"""A process that appends to a journal as fast as it can, for the concurrency and SIGKILL
tests: `python -m tests.journal.appender TARGET PROFILE TAG COUNT`.

Every tenth event is an order intent, appended durably; its seq ("-" when it went to the intent
log, to be chained at the next group commit) and client order id are printed (and flushed) only
after `append` returned, i.e. once the journal promised it survives this process. The other
events are group-committed. COUNT 0 means: until killed.
"""

from __future__ import annotations

import itertools
import sys

from tradeguard import events as ev
from tradeguard.journal import open_journal

from .factories import T0, intent


def main(target: str, profile: str, tag: str, count: int) -> None:
    store = open_journal(target, profile=profile, batch_size=64)
    out = sys.stdout
    n_range = itertools.count() if count == 0 else range(count)
    for n in n_range:
        if n % 10 == 0:
            coid = f"{tag}-{n}"
            seq = store.append(intent(coid, at_ms=T0 + n))
            out.write(f"{'-' if seq is None else seq} {coid}\n")
            out.flush()
        else:
            store.append(
                ev.ClockSynced(
                    at_ms=T0 + n,
                    profile=tag,
                    offset_ms=n,
                    rtt_ms=0.5,
                    exchange_ms=None if n % 3 else n,
                )
            )
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
