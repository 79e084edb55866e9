"""Import mail into a search backend: read, parse, classify, thread, store.

Messages are written in batches, each in one backend transaction, and a
message whose key is already stored counts as a duplicate. An import that is
killed at any moment can therefore simply be run again: it skips what the
committed batches hold and stores the rest, ending with the same messages as
an uninterrupted run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Protocol

from applylens.errors import MessageParseError
from applylens.mail.model import Message
from applylens.mail.parse import parse_message
from applylens.mail.sources import RawMessage, SourceError, iter_raw_messages
from applylens.mail.threads import ThreadLinks, ThreadResolver
from applylens.store.base import SearchBackend

logger = logging.getLogger(__name__)

CHUNK_SIZE = 64
"""Raw messages sent to a parsing worker at a time."""
CHUNKS_IN_FLIGHT_PER_WORKER = 4
"""Chunks queued per worker; bounds memory whatever the size of the input."""
STOP_CHECK_SECONDS = 0.2
"""How often a wait for a parsing worker checks whether to stop."""
PARALLEL_THRESHOLD_BYTES = 4 * 1024 * 1024
"""Inputs smaller than this are parsed in-process: workers would cost more."""
MAX_DIFFERENT_CONTENT_WARNINGS = 10
"""How many duplicates with different content are logged one by one. The
summary counts all of them."""


@dataclass(slots=True)
class ImportProgress:
    """A snapshot of a running import, given to the progress callback."""

    messages_read: int
    messages_indexed: int
    bytes_read: int
    bytes_total: int


ProgressCallback = Callable[[ImportProgress], None]


class ImportStopped(BaseException):
    """Raised between two messages when the caller's `stop` check returns
    True. Like Ctrl-C, it is not an error of the import."""


@dataclass(slots=True)
class ImportReport:
    """The counts of one import, where
    `read == indexed + duplicates + len(skipped) + failed`.

    `failed` counts the messages read but not written because the backend
    raised; it is 0 for every import that ran to its end.
    `different_content` counts the duplicates that share the Message-ID of an
    earlier message, of this import or already stored, but not its content
    hash. Only the earlier message is kept.
    """

    read: int = 0
    indexed: int = 0
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: int = 0
    outside_retention: int = 0
    retention_days: int = 0
    elapsed: float = 0.0
    threads_merged: int = 0
    different_content: int = 0

    @property
    def messages_per_second(self) -> float:
        return self.read / self.elapsed if self.elapsed > 0 else 0.0

    def different_content_notice(self) -> str | None:
        """Explain the duplicates that are different messages, if there are any."""
        if not self.different_content:
            return None
        verb = "has" if self.different_content == 1 else "have"
        return (
            f"{self.different_content} of the {self.duplicates} duplicates {verb} "
            f"the same Message-ID as another message but different content: only "
            f"the first message with each Message-ID was stored."
        )

    def retention_notice(self) -> str | None:
        """Explain what happens to the messages older than the retention period."""
        if not self.outside_retention:
            return None
        return (
            f"{self.outside_retention} imported messages are older than the "
            f"retention period of {self.retention_days} days: searches hide them, "
            f"and `applylens serve` (at start and then on its schedule) or "
            f"`applylens retention apply` deletes them. To keep them, set "
            f"APPLYLENS_RETENTION_DAYS=0 (keep everything) or a larger number "
            f"of days before running either."
        )


class ImportRecorder(Protocol):
    """Stores the outcome of each import run, including runs that raised."""

    def record_import(
        self,
        owner: str,
        sources: Sequence[Path],
        report: ImportReport,
        *,
        status: str,
        started_at: datetime,
        error: str | None = None,
    ) -> object: ...


def import_paths(
    paths: Iterable[str | Path],
    backend: SearchBackend,
    *,
    owner: str,
    owner_addresses: Sequence[str] = (),
    retention_days: int = 90,
    progress: ProgressCallback | None = None,
    batch_size: int = 500,
    now: datetime | None = None,
    workers: int | None = None,
    thread_links: ThreadLinks | None = None,
    run_log: ImportRecorder | None = None,
    stop: Callable[[], bool] | None = None,
) -> ImportReport:
    """Import every message found under `paths` for `owner` into `backend`.

    `workers` is the number of parsing processes; None picks one per CPU
    (at most 4) for large inputs and in-process parsing for small ones.
    `thread_links` keeps thread knowledge between imports (see ThreadLinks).
    `run_log` receives the report of the run, also when the backend raises
    (status "failed") or the import is interrupted (status "interrupted").
    `stop` is called after each message; when it returns True the import
    raises ImportStopped, after stopping its workers and writing nothing more.
    Nothing a message contains stops the import: each one is indexed, counted
    as a duplicate or listed in `ImportReport.skipped` with the reason.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size!r}")
    path_list = [Path(path) for path in paths]
    started = (time.monotonic(), datetime.now(UTC))
    importer = _Importer(
        backend,
        owner=owner,
        retention_days=retention_days,
        progress=progress,
        batch_size=batch_size,
        now=now or datetime.now(UTC),
        bytes_total=_total_bytes(path_list),
        thread_links=thread_links,
        stop=stop,
    )
    count = _worker_count(workers, importer.bytes_total)
    parsed = _parse_stream(
        iter_raw_messages(path_list),
        owner=owner,
        owner_addresses=tuple(owner_addresses),
        now=importer.now,
        workers=count,
        stop=stop,
    )
    try:
        importer.run(parsed)
    except Exception as exc:
        importer.report.failed = importer.unwritten()
        _finish_run(importer, path_list, run_log, started, "failed", exc)
        raise
    except BaseException:
        # After Ctrl-C a rerun writes what is missing, so nothing counts as failed.
        _finish_run(importer, path_list, run_log, started, "interrupted")
        raise
    finally:
        # Stops the parsing workers now, rather than when the traceback that
        # still refers to the stream is freed.
        parsed.close()
    report = _finish_run(importer, path_list, run_log, started, "completed")
    logger.info(
        "imported %s for %s: read %d, indexed %d, duplicates %d (%d with "
        "different content), skipped %d, outside retention %d, %.1f s with %d "
        "parsing processes",
        ", ".join(map(str, path_list)),
        owner,
        report.read,
        report.indexed,
        report.duplicates,
        report.different_content,
        len(report.skipped),
        report.outside_retention,
        report.elapsed,
        count,
    )
    notice = report.different_content_notice()
    if notice is not None:
        logger.warning(
            "importing %s for %s: %s", ", ".join(map(str, path_list)), owner, notice
        )
    return report


def _finish_run(
    importer: _Importer,
    sources: Sequence[Path],
    run_log: ImportRecorder | None,
    started: tuple[float, datetime],
    status: str,
    exc: BaseException | None = None,
) -> ImportReport:
    report = importer.report
    report.elapsed = time.monotonic() - started[0]
    if run_log is not None:
        error = None if exc is None else f"{type(exc).__name__}: {exc}"
        run_log.record_import(
            importer.owner,
            sources,
            report,
            status=status,
            started_at=started[1],
            error=error,
        )
    return report


class _Importer:
    """Dedupes, threads and writes parsed messages, batch by batch."""

    def __init__(
        self,
        backend: SearchBackend,
        *,
        owner: str,
        retention_days: int,
        progress: ProgressCallback | None,
        batch_size: int,
        now: datetime,
        bytes_total: int,
        thread_links: ThreadLinks | None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        self.backend = backend
        self.stop = stop
        self.owner = owner
        self.progress = progress
        self.batch_size = batch_size
        self.now = now
        self.bytes_total = bytes_total
        self.bytes_read = 0
        self.cutoff = now - timedelta(days=retention_days) if retention_days else None
        self.report = ImportReport(retention_days=retention_days)
        self.store_has_messages = backend.count(owner) > 0
        self.threads = ThreadResolver(
            backend,
            owner,
            store_has_messages=self.store_has_messages,
            links=thread_links,
        )
        # The content fingerprint of each key this import has accepted.
        self.seen_keys: dict[str, int] = {}
        self.batch: list[Message] = []

    def run(self, parsed: Iterable[tuple[Message | SourceError, int]]) -> ImportReport:
        for item, size in parsed:
            if self.stop is not None and self.stop():
                raise ImportStopped
            self.report.read += 1
            self.bytes_read += size
            if isinstance(item, SourceError):
                self.report.skipped.append((item.origin, item.reason))
            else:
                self.accept(item)
            if len(self.batch) >= self.batch_size:
                self.flush()
            if self.progress is not None and self.report.read % 50 == 0:
                self.notify()
        self.flush()
        self.report.threads_merged = self.threads.merged_in_store
        self.notify()
        return self.report

    def unwritten(self) -> int:
        """Return the messages read but neither written, duplicate nor skipped."""
        report = self.report
        return report.read - report.indexed - report.duplicates - len(report.skipped)

    def accept(self, message: Message) -> None:
        fingerprint = _content_fingerprint(message)
        seen = self.seen_keys.get(message.key)
        if seen is not None:
            self.report.duplicates += 1
            if seen != fingerprint:
                self.note_different_content(message, "of this import")
            return
        stored = (
            self.backend.stored_content_hash(self.owner, message.key)
            if self.store_has_messages
            else None
        )
        if stored is not None:
            self.report.duplicates += 1
            if stored and _hash_fingerprint(stored) != fingerprint:
                self.note_different_content(message, "already stored")
            return
        self.seen_keys[message.key] = fingerprint
        self.batch.append(message)

    def note_different_content(self, message: Message, earlier: str) -> None:
        self.report.different_content += 1
        if self.report.different_content <= MAX_DIFFERENT_CONTENT_WARNINGS:
            logger.warning(
                "%s has the Message-ID <%s> of an earlier message %s but "
                "different content; only the earlier message is kept",
                message.source,
                message.key,
                earlier,
            )

    def flush(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        self.threads.assign(batch)
        # Merges go first: they are idempotent, so a kill before the batch is
        # written repeats them harmlessly on resume.
        self.threads.flush_merges()
        stats = self.backend.add_messages(batch)
        self.threads.mark_written(batch)
        self.report.indexed += stats.indexed
        self.report.duplicates += stats.duplicates
        if self.cutoff is not None:
            # Only messages this run stored: another import running at the
            # same time may have stored the rest of the batch first.
            stored = set(stats.stored_ids)
            self.report.outside_retention += sum(
                1
                for message in batch
                if message.date < self.cutoff and message.doc_id in stored
            )

    def notify(self) -> None:
        if self.progress is None:
            return
        self.progress(
            ImportProgress(
                messages_read=self.report.read,
                messages_indexed=self.report.indexed + len(self.batch),
                bytes_read=min(self.bytes_read, self.bytes_total),
                bytes_total=self.bytes_total,
            )
        )


# Parsing, in-process or in worker processes


@dataclass(slots=True, frozen=True)
class _ParseOptions:
    owner: str
    owner_addresses: tuple[str, ...]
    now: datetime


_worker_options: _ParseOptions | None = None


def _parse_stream(
    items: Iterator[RawMessage | SourceError],
    *,
    owner: str,
    owner_addresses: tuple[str, ...],
    now: datetime,
    workers: int,
    stop: Callable[[], bool] | None = None,
) -> Generator[tuple[Message | SourceError, int], None, None]:
    """Yield (parsed message or error, raw size) in input order."""
    options = _ParseOptions(owner, owner_addresses, now)
    _load_classifier()
    if workers <= 1:
        for item in items:
            yield _parse_one(item, options), _size_of(item)
        return
    yield from _parse_in_pool(items, options, workers, stop or _never)


def _never() -> bool:
    return False


def _parse_in_pool(
    items: Iterator[RawMessage | SourceError],
    options: _ParseOptions,
    workers: int,
    stop: Callable[[], bool],
) -> Iterator[tuple[Message | SourceError, int]]:
    context = pool_context()
    pending: deque[tuple[AsyncResult[list[Message | SourceError]], list[int]]]
    pending = deque()
    limit = workers * CHUNKS_IN_FLIGHT_PER_WORKER
    pool = context.Pool(workers, initializer=_init_worker, initargs=(options,))
    try:
        for chunk in _chunks(items, CHUNK_SIZE):
            sizes = [_size_of(item) for item in chunk]
            pending.append((pool.apply_async(_parse_chunk, (chunk,)), sizes))
            if len(pending) >= limit:
                yield from _collect(pending.popleft(), stop)
        while pending:
            yield from _collect(pending.popleft(), stop)
    finally:
        # Also when the import stops early: the workers finish the few chunks
        # they were given and exit. Terminating them instead could kill one
        # that holds the lock of the task queue, and the pool's own cleanup
        # would then wait for that lock forever.
        pool.close()
        pool.join()


def pool_context() -> multiprocessing.context.BaseContext:
    """Return how to start the parsing workers.

    A plain fork is the fastest: the workers start with the parser and the
    classifier already loaded. It is safe only while this process runs no
    other thread, because a thread could hold a lock (of a logging handler,
    of a stream) at the moment of the fork, and the worker would inherit it
    held forever. Otherwise a fork server starts the workers from a clean
    process that has loaded the same modules once.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__, "applylens.classify"])
        return context
    return multiprocessing.get_context("spawn")


def _collect(
    entry: tuple[AsyncResult[list[Message | SourceError]], list[int]],
    stop: Callable[[], bool],
) -> Iterator[tuple[Message | SourceError, int]]:
    result, sizes = entry
    # Waited for in short steps, so that a stop request is seen while a large
    # chunk is still being parsed.
    while not result.ready():
        if stop():
            raise ImportStopped
        result.wait(STOP_CHECK_SECONDS)
    yield from zip(result.get(), sizes, strict=True)


def _init_worker(options: _ParseOptions) -> None:
    global _worker_options
    _worker_options = options
    # Ctrl-C and `kill -- -PID` reach the whole process group. Only the main
    # process acts on them: it stops handing out work and lets the workers
    # finish theirs (see _parse_in_pool).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _load_classifier()


def _parse_chunk(chunk: list[RawMessage | SourceError]) -> list[Message | SourceError]:
    assert _worker_options is not None, "the worker initializer did not run"
    return [_parse_one(item, _worker_options) for item in chunk]


def _parse_one(
    item: RawMessage | SourceError, options: _ParseOptions
) -> Message | SourceError:
    if isinstance(item, SourceError):
        return item
    try:
        message = parse_message(
            item.raw,
            owner=options.owner,
            source=item.origin,
            file_mtime=item.file_mtime,
            now=options.now,
            maildir_flags=item.maildir_flags,
        )
    except MessageParseError as exc:
        return SourceError(item.origin, str(exc).removeprefix(f"{item.origin}: "))
    except Exception as exc:
        # A parser bug on one message must not end the import; the message is
        # reported with the error instead.
        logger.exception("parsing %s failed", item.origin)
        return SourceError(item.origin, f"parser error: {type(exc).__name__}: {exc}")
    _classify(message, options)
    return message


_classify_message: Callable[..., None] | None = None


def _load_classifier() -> None:
    global _classify_message
    if _classify_message is None:
        from applylens.classify import classify_message

        _classify_message = classify_message


def _classify(message: Message, options: _ParseOptions) -> None:
    assert _classify_message is not None
    try:
        _classify_message(message, owner_addresses=options.owner_addresses)
    except Exception as exc:
        # An unclassified message is still worth storing and searching.
        logger.exception("classifying %s failed", message.source)
        message.parse_defects.append(f"classifier error: {type(exc).__name__}")


def _size_of(item: RawMessage | SourceError) -> int:
    return len(item.raw) if isinstance(item, RawMessage) else 0


def _chunks(
    items: Iterator[RawMessage | SourceError], size: int
) -> Iterator[list[RawMessage | SourceError]]:
    chunk: list[RawMessage | SourceError] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _content_fingerprint(message: Message) -> int:
    """Return the first 64 bits of the content hash, or 0 when it is missing.

    An int costs less memory per seen key than the hex string."""
    return _hash_fingerprint(message.content_hash)


def _hash_fingerprint(content_hash: str) -> int:
    try:
        return int(content_hash[:16] or "0", 16)
    except ValueError:
        return 0


def _worker_count(requested: int | None, bytes_total: int) -> int:
    if requested is not None:
        return max(1, requested)
    if bytes_total < PARALLEL_THRESHOLD_BYTES:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def _total_bytes(paths: Sequence[Path]) -> int:
    """Return the size of every file under `paths`, for the progress display.

    Symbolic links are followed as the import follows them, into each folder
    once, so a link to an ancestor folder does not loop.
    """
    total = 0
    folders: set[tuple[int, int]] = set()
    for path in paths:
        try:
            if path.is_file():
                total += path.stat().st_size
                continue
            if not _first_visit(str(path), folders):
                continue
            for directory, subdirectories, filenames in os.walk(path, followlinks=True):
                subdirectories[:] = [
                    name
                    for name in subdirectories
                    if _first_visit(os.path.join(directory, name), folders)
                ]
                for filename in filenames:
                    try:
                        total += os.stat(os.path.join(directory, filename)).st_size
                    except OSError:
                        continue
        except OSError:
            continue
    return total


def _first_visit(folder: str, visited: set[tuple[int, int]]) -> bool:
    """Add `folder` to `visited`, returning False if it was there or unreadable."""
    try:
        stat = os.stat(folder)
    except OSError:
        return False
    identity = (stat.st_dev, stat.st_ino)
    if identity in visited:
        return False
    visited.add(identity)
    return True
