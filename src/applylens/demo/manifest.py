"""The demo owner file, ``demo.json`` in the data directory.

`applylens demo` writes it so that other commands and the server know which
addresses belong to the owner of the demo mailbox, and so recognise the
owner's replies, without APPLYLENS_OWNER_ADDRESSES being set. Its content:
``{"owner": "<APPLYLENS_OWNER>", "name": "Alex Rivera", "addresses": [...],
"mailbox": "<path>", "seed": 1, "count": 3000, "generated_at": "<ISO 8601>"}``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

MANIFEST_NAME = "demo.json"


@dataclass(slots=True)
class DemoManifest:
    owner: str
    name: str
    addresses: list[str]
    mailbox: str
    seed: int
    count: int
    generated_at: str


def write_manifest(data_dir: Path, manifest: DemoManifest) -> Path:
    path = data_dir / MANIFEST_NAME
    data_dir.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    temporary.replace(path)
    return path


def read_manifest(data_dir: Path) -> DemoManifest | None:
    """Return the demo manifest of `data_dir`, or None when there is none.

    A manifest that cannot be read is logged and treated as missing, because
    it only adds owner addresses and never holds anything a user wrote.
    """
    path = data_dir / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        return DemoManifest(**data)
    except (OSError, ValueError, TypeError) as exc:
        logger.warning("ignoring unreadable demo manifest %s: %s", path, exc)
        return None


def demo_owner_addresses(data_dir: Path, owner: str) -> list[str]:
    """Return the demo owner's addresses when the demo was imported for
    `owner`, else an empty list."""
    manifest = read_manifest(data_dir)
    if manifest is None or manifest.owner != owner:
        return []
    return [address.lower() for address in manifest.addresses]
