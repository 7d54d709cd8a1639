"""``mparticle send``: stream batch files through validation into the Events API.

The pipeline, per input file: :class:`~mparticle.cli.input.RecordReader` (streaming) →
:func:`mparticle.validation.validate` → a deterministic ``source_request_id`` →
:class:`mparticle.uploader.BatchUploader`, which packs, sends, retries and splits.
Invalid records go to the reject file. :class:`Upload` brings the uploader's callbacks back to
the records: a delivered batch, or one the server refused (written to the reject file), is
done in the :class:`Tracker`, whose snapshot is the checkpoint that ``--resume`` reads; 401/403
stop the run. The counts in the summary come from the uploader's stats. Memory stays bounded:
one record is parsed at a time and at most ``2 x concurrency`` requests' worth of batches are
in the uploader's hands.

The inputs are never written to: every output path (reject file, checkpoint, its lock file)
is compared with every input by real path and by inode before anything is opened for writing.
A real run holds an exclusive lock on the checkpoint for its whole life; the checkpoint is
checked (structure, checksum, and a SHA-256 of the input bytes it covers) before a resume
trusts it. Reject and checkpoint files are created ``0600``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import threading
import time
import uuid
from typing import Any, Dict, List, Optional, TextIO, Union

from mparticle.cli.checkpoint import load_checkpoint, write_json_atomic
from mparticle.cli.errors import OutputError, UsageError
from mparticle.cli.exit_codes import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL
from mparticle.cli.input import InputChanged, Record
from mparticle.cli.lock import CheckpointLock
from mparticle.cli.paths import _default_path, dry_run_path, refuse_clobbering
from mparticle.cli.progress import Counters, Progress, _isatty, _size
from mparticle.cli.rejects import RejectWriter, _reject_entry
from mparticle.cli.signals import Interrupt
from mparticle.cli.sources import InputFile, _apply_checkpoint, _open_inputs, _reader_for
from mparticle.cli.tracker import Tracker, _item
from mparticle.cli.upload import DryRun, Upload, _describe, _failed
from mparticle.cli.validate import check_batch
from mparticle.configuration import Configuration
from mparticle.uploader import UploaderStats

__all__ = ["build_configuration", "run_send", "source_request_id"]

#: Namespace of the derived ``source_request_id`` values (uuid5).
SOURCE_ID_NAMESPACE = uuid.UUID("6d7061f2-7469-436c-a5e2-73656e64cafe")


def source_request_id(key: str, offset: int, text: str) -> str:
    """A stable id for the record that starts at byte ``offset`` of input ``key``.

    The id depends only on the input's identity (its real path, or ``<stdin>``), the record's
    position in it and a SHA-256 of the record's text: every run over the same bytes — a
    resumed one that starts mid-line, or a repeated one — gives a record the same id, in
    every layout (JSON Lines, arrays on one line or many, one bulk body per line), so
    mParticle drops what it already has; a file regenerated at the same path with different
    content gets new ids.
    """
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
    return str(uuid.uuid5(SOURCE_ID_NAMESPACE, f"{key}\n@{offset}\n{digest}"))


def build_configuration(args: argparse.Namespace) -> Configuration:
    """A Configuration from the connection flags (``MPARTICLE_*`` environment as fallback)."""
    config = Configuration()
    if getattr(args, "api_key", None):
        config.api_key = args.api_key
    if getattr(args, "api_secret", None):
        config.api_secret = args.api_secret
    if getattr(args, "pod", None):
        config.pod = args.pod
    if getattr(args, "host", None):
        if not args.host.startswith(("http://", "https://")):
            raise UsageError(f"--host must be a URL such as https://s2s.mparticle.com/v2, got {args.host!r}")
        config.host = args.host
    return config


def run_send(
    args: argparse.Namespace,
    stdin: Optional[Any] = None,
    err: Optional[TextIO] = None,
) -> int:
    """Run ``mparticle send`` with parsed ``args``; returns the exit code."""
    err = err or sys.stderr
    try:
        run = _SendRun(args, stdin if stdin is not None else sys.stdin.buffer, err)
    except UsageError as exc:
        print(f"mparticle send: error: {exc}", file=err)
        return EXIT_FAILURE
    return run.run()


class _SendRun:
    """One ``send``: the inputs, the reject file, the tracker, the upload and the counters.

    Construction checks everything that can be checked before anything is written (the
    arguments, the output paths against the inputs, the lock, the checkpoint); UsageError
    otherwise, with the lock released.
    """

    def __init__(self, args: argparse.Namespace, stdin: Any, err: TextIO) -> None:
        self.args = args
        self.stdin = stdin
        self.err = err
        self.error: Optional[str] = None  #: why the run stopped early (exit 2), if it did
        self.files = _open_inputs(args.files)
        if args.concurrency < 1:
            raise UsageError("--concurrency must be at least 1")
        if args.shutdown_timeout < 0:
            raise UsageError("--shutdown-timeout must not be negative")
        config = Configuration()
        if not args.dry_run:
            config = build_configuration(args)
            if not (config.api_key and config.api_secret):
                raise UsageError(
                    "no credentials: give --api-key and --api-secret or set MPARTICLE_API_KEY and "
                    "MPARTICLE_API_SECRET (or use --dry-run)"
                )
            config.connection_pool_size = args.concurrency
        self.checkpoint_path = args.checkpoint or _default_path(args.files, ".checkpoint.json")
        reject_path = args.reject_file or _default_path(args.files, ".rejects.jsonl")
        self.reject_path = dry_run_path(reject_path) if args.dry_run else reject_path
        self.lock = CheckpointLock(self.checkpoint_path)
        # the real run's reject path is checked in a dry run too: it is what the user named
        outputs = [("reject file", reject_path), ("checkpoint", self.checkpoint_path)]
        if args.dry_run:
            outputs.append(("dry-run reject file", self.reject_path))
        else:
            outputs.append(("checkpoint lock file", self.lock.path))
        refuse_clobbering(self.files, outputs)
        if not args.dry_run:
            self.lock.acquire()
        try:
            self._prepare(config)
        except BaseException:
            self.lock.release()
            raise

    def _prepare(self, config: Configuration) -> None:
        """Read the checkpoint (under the lock) and set up rejects, upload and progress."""
        args, err = self.args, self.err
        resumed = False
        others: Dict[str, Any] = {}
        if args.resume:
            doc = load_checkpoint(self.checkpoint_path)
            if doc is None:
                print(f"send: no checkpoint at {self.checkpoint_path}; starting from the beginning", file=err)
            else:
                _apply_checkpoint(self.files, doc, args.historical)
                keys = {f.key for f in self.files}
                others = {k: v for k, v in doc["files"].items() if k not in keys}
                resumed = True
        self.tracker = Tracker(self.files, args.historical, others)
        self.counters = Counters()
        self.rejects = RejectWriter(self.reject_path, append=resumed and not args.dry_run)
        self.interrupt = Interrupt()
        self.now_ms = int(time.time() * 1000)
        self.upload: Union[Upload, DryRun] = (
            DryRun(config) if args.dry_run else Upload(config, args, self.tracker, self.rejects)
        )
        sizes = [f.size for f in self.files]
        total = sum(s for s in sizes if s is not None) if None not in sizes else None
        show = args.progress == "on" or (args.progress == "auto" and _isatty(err))
        self.progress = (
            Progress(err, self.counters, self.tracker, self.upload.stats, total) if show and not args.quiet else None
        )

    def run(self) -> int:
        """Read, validate and send every input; write the checkpoint; report; exit code."""
        try:
            return self._run()
        finally:
            self.lock.release()

    def _run(self) -> int:
        args, stop = self.args, self.interrupt.event
        ticker_stop = threading.Event()
        ticker = threading.Thread(target=self._tick, args=(ticker_stop,), name="mparticle-send-progress", daemon=True)
        ticker.start()
        self.interrupt.install()
        hard_stop = False
        try:
            try:
                for f in self.files:
                    if self._stopping():
                        break
                    self._send_file(f)
            except KeyboardInterrupt:  # the first Ctrl-C while waiting on stdin
                stop.set()
            stats = self.upload.finish(lambda: args.shutdown_timeout if stop.is_set() or self.error else None)
        except KeyboardInterrupt:  # a second Ctrl-C: stop now
            hard_stop = True
            stats = self.upload.finish(lambda: 0.0)
        finally:
            self.interrupt.restore()
            ticker_stop.set()
        self.tracker.freeze()
        ticker.join(1.0)
        if self.progress is not None:
            self.progress.clear()
        self._save_checkpoint()
        self.rejects.close()
        interrupted = stop.is_set() or hard_stop
        c, t, fatal = self.counters, self.tracker, self.upload.fatal
        failed = _failed(stats)
        pending = 0 if args.dry_run else max(0, c.valid - stats.delivered - t.server_rejected - failed)
        if not args.quiet:
            print(self._summary(stats, pending, interrupted), file=self.err)
        if self.error is not None:
            print(f"send: stopped: {self.error}", file=self.err)
            return EXIT_FAILURE
        if fatal is not None:
            print(f"send: stopped: {_describe(fatal)}", file=self.err)
            return EXIT_FAILURE
        if failed and stats.last_error is not None and not args.quiet:
            print(f"send: last error: {_describe(stats.last_error)}", file=self.err)
        if interrupted:
            return self.interrupt.exit_code
        if not args.dry_run and c.valid and not stats.delivered:
            return EXIT_FAILURE
        if c.rejected or c.input_errors or t.server_rejected or failed or pending:
            return EXIT_PARTIAL
        return EXIT_OK

    def _stopping(self) -> bool:
        return self.interrupt.event.is_set() or self.upload.fatal is not None or self.error is not None

    def _save_checkpoint(self) -> None:
        """Write the checkpoint (rejects first made durable); not in a dry run, and not while a
        resumed stdin has not been checked against the checkpoint yet (the old one stays)."""
        if self.args.dry_run or not all(f.content.verified for f in self.files):
            return
        try:
            self.rejects.sync()
            write_json_atomic(self.checkpoint_path, self.tracker.snapshot())
        except OSError as exc:
            print(f"\nsend: cannot write the checkpoint {self.checkpoint_path}: {exc}", file=self.err)

    def _tick(self, stop: threading.Event) -> None:
        """Redraw the progress bar and save the checkpoint every ``--checkpoint-interval`` s."""
        last_save = time.monotonic()
        while not stop.wait(0.2):
            if self.progress is not None:
                self.progress.draw()
            if time.monotonic() - last_save >= self.args.checkpoint_interval:
                self._save_checkpoint()
                last_save = time.monotonic()

    def _send_file(self, f: InputFile) -> None:
        c = self.counters
        try:
            reader, handle = _reader_for(f, self.interrupt, self.stdin)
        except OSError as exc:
            print(f"send: cannot read {f.display}: {exc}", file=self.err)
            c.input_errors += 1
            return
        start = reader.offset
        c.bytes_skipped += start
        prefix = f.skip.prefix()
        if prefix is not None and start:
            f.records = prefix.last
            c.skipped += prefix.last
        try:
            for record in reader:
                c.bytes_current = reader.offset - start
                f.records = record.ordinal
                if record.ordinal in f.skip:
                    c.skipped += 1
                    continue
                c.read += 1
                if not self._send_record(f, record):
                    break
            else:
                f.finished = True
        except (InputChanged, OutputError) as exc:
            self.error = f"{exc}" + ("; the checkpoint was left as it was" if isinstance(exc, InputChanged) else "")
        except OSError as exc:
            print(f"send: error reading {f.display}: {exc}", file=self.err)
            c.input_errors += 1
        finally:
            if handle is not None:
                handle.close()
            c.bytes_finished += reader.offset - start
            c.bytes_current = 0

    def _send_record(self, f: InputFile, record: Record) -> bool:
        """Reject or hand over one record; False when the run must stop reading."""
        c = self.counters
        if record.error is not None:
            self._reject(f, record, record.error, [{"path": "", "rule": "json", "message": record.error}])
            return True
        found = check_batch(record.value, self.args.historical, self.now_ms)
        if found:
            shown = "; ".join(str(p) for p in found[:3])
            more = f"; and {len(found) - 3} more" if len(found) > 3 else ""
            problems = [{"path": p.path, "rule": p.rule, "message": p.message} for p in found]
            self._reject(f, record, f"invalid: {shown}{more}", problems)
            return True
        batch = record.value
        if not batch.get("source_request_id"):
            batch["source_request_id"] = source_request_id(f.key, record.offset, record.text)
        try:
            handed_over = self.upload.put(_item(f, record), batch, self.interrupt.event)
        except (TypeError, ValueError) as exc:  # over the size limit once its source_request_id is added
            self._reject(f, record, f"invalid: {exc}", [{"path": "", "rule": "max_bytes", "message": str(exc)}])
            return True
        c.valid += 1
        return handed_over and not self._stopping()

    def _reject(self, f: InputFile, record: Record, reason: str, problems: List[Dict[str, str]]) -> None:
        self.rejects.write(_reject_entry(f, record.line, record.array_index, reason, problems, record.text))
        self.counters.rejected += 1
        if not self.args.dry_run:
            self.tracker.mark([_item(f, record)])

    def _summary(self, stats: UploaderStats, pending: int, interrupted: bool) -> str:
        args, c, t = self.args, self.counters, self.tracker
        elapsed = max(1e-6, time.monotonic() - c.started)
        parts = [f"{c.read:,} batches read ({_size(c.bytes_read)})"]
        if args.dry_run:
            parts.append(f"{c.valid:,} valid (would be sent in {stats.requests:,} requests)")
        else:
            parts.append(f"{stats.delivered:,} sent in {stats.requests:,} requests")
        rejected = c.rejected + t.server_rejected
        parts.append(f"{rejected:,} rejected" + (f" (see {self.rejects.path})" if self.rejects.written else ""))
        failed = _failed(stats)
        if failed:
            parts.append(f"{failed:,} failed")
        if pending:
            parts.append(f"{pending:,} not sent")
        if c.skipped:
            parts.append(f"{c.skipped:,} skipped (done in an earlier run)")
        if c.input_errors:
            parts.append(f"{c.input_errors} input error(s)")
        head = "send --dry-run" if args.dry_run else "send"
        text = f"{head}: " + ", ".join(parts) + f" in {elapsed:.1f} s ({c.read / elapsed:,.0f} batches/s)"
        if interrupted:
            text += "; interrupted"
        if not args.dry_run and (failed or pending or interrupted):
            text += f"; continue with --resume (checkpoint {self.checkpoint_path})"
        return text
