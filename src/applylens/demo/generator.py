"""Generate a deterministic job-search mailbox from a seed.

The same seed and the same `now` give byte-identical files. Messages are
written as soon as each story is made, so memory stays flat whatever the
count, and a 100,000-message benchmark mailbox takes no more memory than the
3,000-message demo.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from applylens.demo import everyday, jobs
from applylens.demo.catalog import OWNER_ADDRESS, OWNER_ADDRESSES, OWNER_NAME
from applylens.demo.context import StoryContext
from applylens.demo.mime import MailSpec, render_message
from applylens.demo.writer import MailboxFormat, MailboxWriter, open_writer
from applylens.errors import ApplyLensError

logger = logging.getLogger(__name__)

DEFAULT_SEED = 20240917
DEFAULT_COUNT = 3000
MARKER_NAME = ".applylens-demo.json"
EXPECTED_KINDS_NAME = "expected-kinds.tsv"

Story = Callable[[StoryContext, datetime], list[MailSpec]]

# Relative weights of the story kinds, chosen so that about a third of the
# messages belong to applications, a quarter are newsletters and the rest is
# the usual mix of shops, friends, recruiters and bills.
_STORY_WEIGHTS: tuple[tuple[Story, float], ...] = (
    (jobs.application_story, 16.0),
    (jobs.recruiter_story, 8.0),
    (everyday.newsletter_story, 34.0),
    (everyday.promo_story, 20.0),
    (everyday.bank_story, 6.0),
    (everyday.personal_story, 6.0),
    (everyday.phishing_story, 1.2),
    (everyday.hostile_story, 0.15),
)
_CONVERSATIONS = {jobs.recruiter_story, everyday.personal_story}


class DemoOutputError(ApplyLensError):
    """The output folder exists and contains something other than a demo mailbox."""


@dataclass(slots=True)
class GenerationReport:
    root: Path
    mailbox: Path
    mailbox_format: MailboxFormat
    messages: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    awaiting_reply: int = 0
    raw_bytes: int = 0
    seconds: float = 0.0


def generate_mailbox(
    root: Path,
    *,
    seed: int = DEFAULT_SEED,
    count: int = DEFAULT_COUNT,
    now: datetime | None = None,
    mailbox_format: MailboxFormat = "maildir",
) -> GenerationReport:
    """Write `count` messages under `root` and return what was written.

    `root` must be missing, empty, or a folder this function wrote before,
    whose mailbox it replaces. `now` defaults to the current time, so dates
    spread over the year before the call.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count!r}")
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    _prepare_root(root)
    started = time.perf_counter()
    writer = open_writer(root, mailbox_format, tag=str(seed))
    report = GenerationReport(root, writer.path, mailbox_format)
    with (root / EXPECTED_KINDS_NAME).open("w", encoding="utf-8") as kinds_file:
        kinds_file.write("message_id\tkind\tawaiting_reply\tcompany\trole\n")
        for spec in iter_messages(seed=seed, count=count, now=moment):
            _write_one(writer, kinds_file, spec, moment, report)
    writer.close()
    report.seconds = time.perf_counter() - started
    _write_marker(root, seed, count, moment, mailbox_format)
    logger.info(
        "generated %d demo messages in %s in %.1f s",
        report.messages,
        report.mailbox,
        report.seconds,
    )
    return report


def iter_messages(*, seed: int, count: int, now: datetime) -> Iterator[MailSpec]:
    """Yield exactly `count` messages, each story's messages oldest first.

    Messages dated after `now` are left out: they are the part of a story that
    has not happened yet. Only a story's tail is ever cut, so every reply that
    is yielded has its parent yielded before it.
    """
    ctx = StoryContext(random.Random(seed), now)
    produced = 0
    for story, messages in _stories(ctx):
        kept = [m for m in sorted(messages, key=lambda m: m.date) if m.date <= now]
        kept = kept[: count - produced]
        _mark_flags(kept, now, is_conversation=story in _CONVERSATIONS)
        yield from kept
        produced += len(kept)
        if produced >= count:
            return


def _stories(ctx: StoryContext) -> Iterator[tuple[Story, list[MailSpec]]]:
    yield from _guaranteed_stories(ctx)
    stories = [story for story, _ in _STORY_WEIGHTS]
    weights = [weight for _, weight in _STORY_WEIGHTS]
    while True:
        story = ctx.rng.choices(stories, weights)[0]
        yield story, story(ctx, ctx.random_start())


def _guaranteed_stories(ctx: StoryContext) -> Iterator[tuple[Story, list[MailSpec]]]:
    """Yield the stories every mailbox starts with, whatever its size: a few
    interviews still ahead, threads awaiting a reply, phishing and hostile
    subjects, so that small test mailboxes cover every case too."""
    now = ctx.now
    for days in (14.0, 17.0, 21.0):
        yield (
            jobs.application_story,
            jobs.upcoming_interview_story(ctx, now - timedelta(days=days)),
        )
    for days in (3.0, 8.0):
        yield everyday.personal_story, _awaiting_thread(ctx, now - timedelta(days=days))
    for story in (
        everyday.hostile_story,
        everyday.hostile_story,
        everyday.phishing_story,
        everyday.phishing_story,
        jobs.application_story,
        jobs.recruiter_story,
        everyday.newsletter_story,
        everyday.promo_story,
        everyday.bank_story,
    ):
        yield story, story(ctx, ctx.random_start(days=60))


def _awaiting_thread(ctx: StoryContext, start: datetime) -> list[MailSpec]:
    thread = everyday.personal_story(ctx, start)
    # A thread with an odd number of messages ends with the friend's turn.
    return thread if len(thread) % 2 == 1 else thread[:-1]


def _mark_flags(specs: list[MailSpec], now: datetime, is_conversation: bool) -> None:
    """Set the maildir flags from what happened later in the story: R when the
    owner answered a message, S unless the message is recent or was skipped."""
    answered = {s.in_reply_to for s in specs if s.sender[1] == OWNER_ADDRESS}
    for spec in specs:
        flags = set(spec.flags) - {"S", "R"}
        if spec.sender[1] == OWNER_ADDRESS or _is_read(spec, now):
            flags.add("S")
        if spec.message_id in answered:
            flags.update("RS")
        spec.flags = "".join(sorted(flags))
    if is_conversation and specs and specs[-1].sender[1] != OWNER_ADDRESS:
        specs[-1].awaiting_reply = True


# Newsletters the demo owner never opens, one for each List-Unsubscribe form
# (one-click, https only, mailto only), so the unsubscribe tool has work.
NEVER_OPENED_SENDERS = frozenset(
    {
        "digest@weeklyquery.example",
        "alerts@remoteroles.example",
        "hello@datacareers.example",
    }
)


def _is_read(spec: MailSpec, now: datetime) -> bool:
    if spec.sender[1] in NEVER_OPENED_SENDERS:
        return False
    # A hash of the Message-ID, not the random source, decides which mail was
    # left unread, so that the choice does not shift the stories after it.
    bucket = hashlib.blake2b(spec.message_id.encode(), digest_size=1).digest()[0]
    if now - spec.date < timedelta(days=2):
        return bucket < 64
    if spec.kind in ("newsletter", "promo"):
        return bucket < 180
    return bucket < 245


def _write_one(
    writer: MailboxWriter,
    kinds_file: TextIO,
    spec: MailSpec,
    now: datetime,
    report: GenerationReport,
) -> None:
    raw = render_message(spec, boundary_seed=spec.message_id[1:17])
    is_new = "S" not in spec.flags and now - spec.date < timedelta(days=2)
    writer.write(raw, spec.date, spec.sender[1], spec.flags, is_new)
    kinds_file.write(
        f"{spec.message_id}\t{spec.kind}\t{int(spec.awaiting_reply)}\t"
        f"{spec.company or ''}\t{spec.role or ''}\n"
    )
    report.messages += 1
    report.kinds[spec.kind] += 1
    report.awaiting_reply += spec.awaiting_reply
    report.raw_bytes += len(raw)


def _prepare_root(root: Path) -> None:
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER_NAME).is_file():
            raise DemoOutputError(
                f"{str(root)!r} is not empty and was not written by `applylens "
                "demo`; choose an empty or new folder with --out"
            )
        for name in ("maildir", "inbox.mbox", EXPECTED_KINDS_NAME, MARKER_NAME):
            target = root / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    root.mkdir(parents=True, exist_ok=True)


def _write_marker(
    root: Path, seed: int, count: int, now: datetime, mailbox_format: MailboxFormat
) -> None:
    marker = {
        "seed": seed,
        "count": count,
        "now": now.isoformat(),
        "format": mailbox_format,
        "owner_name": OWNER_NAME,
        "owner_addresses": list(OWNER_ADDRESSES),
    }
    (root / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n")
