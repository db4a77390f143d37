"""schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

In the stateful phase, every valid `Idempotency-Key` the generator draws is made
unique. The generator draws keys from a small pool, and docs/contract.md §5 makes a key reused
with the same request replay the first answer: a 201 naming a resource that a previous
scenario may have deleted since. schemathesis can't know that, and would report the
replayed resource as "created but not found". Invalid keys (empty, too long, not
visible ASCII) are left alone so that their 400 is still tested, and the other phases
keep reusing keys, which tests the replay and the 422.
"""

import itertools

import schemathesis
from schemathesis.generation.meta import TestPhase

HEADER = "Idempotency-Key"
MAX_LEN = 255
_serial = itertools.count()


def _valid(key):
    return isinstance(key, str) and 0 < len(key) <= MAX_LEN and all(
        " " <= c <= "~" for c in key
    )


@schemathesis.hook
def before_call(context, case, kwargs):
    meta = case.meta
    if meta is None or meta.phase.name != TestPhase.STATEFUL or not case.headers:
        return
    key = case.headers.get(HEADER)
    if _valid(key):
        suffix = f"-{next(_serial)}"
        case.headers[HEADER] = key[: MAX_LEN - len(suffix)] + suffix
