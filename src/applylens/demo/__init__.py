"""A generated job-search mailbox for trying ApplyLens and for benchmarks.

`generate_mailbox(root)` writes, under `root`:

- ``maildir/`` (``cur/``, ``new/``, ``tmp/``) or ``inbox.mbox``, the messages;
- ``expected-kinds.tsv``, one row per message with its Message-ID, the kind
  the generator meant it to be (``application_receipt``, ``interview``, ...,
  ``sent`` for the owner's own mail), whether it awaits the owner's reply,
  and the company and role of job mail, for measuring a classifier;
- ``.applylens-demo.json``, the seed, count and time it was generated with,
  which marks the folder as safe to replace on the next run.
"""

from __future__ import annotations

from applylens.demo.catalog import OWNER_ADDRESS, OWNER_ADDRESSES, OWNER_NAME
from applylens.demo.generator import (
    DEFAULT_COUNT,
    DEFAULT_SEED,
    EXPECTED_KINDS_NAME,
    DemoOutputError,
    GenerationReport,
    generate_mailbox,
    iter_messages,
)
from applylens.demo.manifest import (
    DemoManifest,
    demo_owner_addresses,
    read_manifest,
    write_manifest,
)

__all__ = [
    "DEFAULT_COUNT",
    "DEFAULT_SEED",
    "EXPECTED_KINDS_NAME",
    "OWNER_ADDRESS",
    "OWNER_ADDRESSES",
    "OWNER_NAME",
    "DemoManifest",
    "DemoOutputError",
    "GenerationReport",
    "demo_owner_addresses",
    "generate_mailbox",
    "iter_messages",
    "read_manifest",
    "write_manifest",
]
