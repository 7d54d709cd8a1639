"""``mparticle send``: stream batch files through validation into the Events API.

The pipeline, per input file: :class:`~mparticle.cli.input.RecordReader` (streaming) →
:func:`~mparticle.cli.validate.check_batch` → a deterministic ``source_request_id`` →
:class:`~mparticle.cli.upload.Upload`, which hands the batches to
:class:`mparticle.uploader.BatchUploader` (it packs, sends, retries and splits) and brings its
callbacks back to the records: a delivered batch, or one the server refused (written to the
reject file, :mod:`mparticle.cli.rejects`), is done in the
:class:`~mparticle.cli.tracker.Tracker`, whose snapshot is the checkpoint that ``--resume``
reads (:mod:`mparticle.cli.checkpoint`); 401/403 stop the run. The counts in the summary come
from the uploader's stats. Memory stays bounded: one record is parsed at a time and at most
``2 x concurrency`` requests' worth of batches are in the uploader's hands.

The inputs are never written to: every output path (reject file, checkpoint, its lock file)
is compared with every input by real path and by inode before anything is opened for writing
(:mod:`mparticle.cli.paths`). A real run holds an exclusive lock on the checkpoint for its
whole life (:mod:`mparticle.cli.lock`); the checkpoint is checked (structure, checksum, and a
SHA-256 of the input bytes it covers, :mod:`mparticle.cli.sources`) before a resume trusts it;
a run without ``--resume`` or ``--restart`` never overwrites the checkpoint of an unfinished
run (exit code 3).
Reject and checkpoint files are created ``0600``.
"""

from __future__ import annotations

import argparse
import functools
import sys
import threading
import time
from typing import Any, Dict, List, Optional, TextIO, Tuple, Union

from mparticle.cli.checkpoint import DoneSet, load_checkpoint, write_json_atomic
from mparticle.cli.errors import OutputError, UnfinishedCheckpoint, UsageError
from mparticle.cli.exit_codes import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL
from mparticle.cli.input import InputChanged, Record, RecordReader
from mparticle.cli.lock import CheckpointLock
from mparticle.cli.paths import default_path, dry_run_path, refuse_clobbering
from mparticle.cli.plan_gate import PlanGate
from mparticle.cli.plan_options import PlanOptionError, load_plan, plan_mode, plan_policy
from mparticle.cli.progress import Progress, SendTally, failed_batches, format_size, is_terminal
from mparticle.cli.rejects import RejectWriter, reject_entry
from mparticle.cli.signals import Interrupt
from mparticle.cli.sources import InputFile, apply_checkpoint, open_inputs, reader_for, source_request_id
from mparticle.cli.tracker import Item, Tracker
from mparticle.cli.upload import DryRun, Upload, error_summary
from mparticle.cli.validate import check_batch
from mparticle.configuration import Configuration
from mparticle.uploader import UploaderStats

__all__ = ["build_configuration", "run_send"]


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


def _send_configuration(args: argparse.Namespace) -> Configuration:
    """The connection of a real run (credentials required), or a dry run's default one."""
    if args.dry_run:
        return Configuration()
    config = build_configuration(args)
    missing = config.missing_credentials()
    if missing:
        flags = " and ".join("--" + name.replace("_", "-") for name in missing)
        variables = " and ".join("MPARTICLE_" + name.upper() for name in missing)
        raise UsageError(f"no credentials: {flags} missing; give {flags} or set {variables} (or use --dry-run)")
    config.connection_pool_size = args.concurrency
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
    except PlanOptionError as exc:  # already printed
        return exc.exit_code
    except UsageError as exc:
        print(f"mparticle send: error: {exc}", file=err)
        return exc.exit_code
    return run.run()


def _unfinished(doc: Optional[Dict[str, Any]]) -> str:
    """What a checkpoint has done of the inputs it did not finish (``a.jsonl: 1,200 records
    done``), empty when there is nothing a fresh run would discard."""
    if doc is None:
        return ""
    found = [
        f"{entry['name']}: {DoneSet(entry['done']).count():,} records done"
        for entry in doc["files"].values()
        if entry["done"] and not entry["complete"]
    ]
    return "; ".join(found[:3]) + (f"; and {len(found) - 3} more inputs" if len(found) > 3 else "")


class _SendRun:
    """One ``send``: the inputs, the reject file, the tracker, the upload and the tally.

    Construction checks everything that can be checked before anything is written (the
    arguments, the output paths against the inputs, the lock, the checkpoint); UsageError
    otherwise, with the lock released.
    """

    def __init__(self, args: argparse.Namespace, stdin: Any, err: TextIO) -> None:
        self.args = args
        self.stdin = stdin
        self.err = err
        self.error: Optional[str] = None  #: why the run stopped early (exit 2), if it did
        self.files = open_inputs(args.files)
        if args.concurrency < 1:
            raise UsageError("--concurrency must be at least 1")
        if args.shutdown_timeout < 0:
            raise UsageError("--shutdown-timeout must not be negative")
        config = _send_configuration(args)
        plan = load_plan(args, err)
        self.plan: Optional[PlanGate] = None
        if plan is not None:
            self.plan = PlanGate(plan, plan_policy(args), plan_mode(args), args.data_plan, err, args.quiet)
        self._choose_outputs()
        if not args.dry_run:
            self.lock.acquire()
        try:
            self._prepare(config)
        except BaseException:
            self.lock.release()
            raise

    def _choose_outputs(self) -> None:
        """The checkpoint, its lock and the reject file; UsageError if one is an input or another output."""
        args = self.args
        self.checkpoint_path = args.checkpoint or default_path(args.files, ".checkpoint.json")
        reject_path = args.reject_file or default_path(args.files, ".rejects.jsonl")
        self.reject_path = dry_run_path(reject_path) if args.dry_run else reject_path
        self.lock = CheckpointLock(self.checkpoint_path)
        # the real run's reject path is checked in a dry run too: it is what the user named
        outputs = [("reject file", reject_path), ("checkpoint", self.checkpoint_path)]
        if args.dry_run:
            outputs.append(("dry-run reject file", self.reject_path))
        else:
            outputs.append(("checkpoint lock file", self.lock.path))
        refuse_clobbering(self.files, outputs)

    def _prepare(self, config: Configuration) -> None:
        """Read the checkpoint (under the lock) and set up rejects, upload and progress."""
        args = self.args
        resumed, others = self._read_checkpoint()
        self.tracker = Tracker(self.files, args.historical, others)
        self.tally = SendTally()
        self.rejects = RejectWriter(self.reject_path, append=resumed and not args.dry_run)
        self.interrupt = Interrupt()
        self.now_ms = int(time.time() * 1000)
        self.upload: Union[Upload, DryRun] = (
            DryRun(config) if args.dry_run else Upload(config, args, self.tracker, self.rejects)
        )
        self.progress = self._progress_bar()

    def _read_checkpoint(self) -> Tuple[bool, Dict[str, Any]]:
        """Read the checkpoint: (whether the run resumes it, the entries of the inputs not in
        this run, which the new checkpoint keeps). With ``--resume`` its done records are
        loaded into the inputs; without ``--resume`` or ``--restart`` a real run refuses to
        overwrite the checkpoint of an unfinished run (UnfinishedCheckpoint)."""
        args = self.args
        if args.restart or (args.dry_run and not args.resume):  # a dry run writes no checkpoint
            return False, {}
        doc = load_checkpoint(self.checkpoint_path)
        if not args.resume:
            unfinished = _unfinished(doc)
            if unfinished:
                raise UnfinishedCheckpoint(
                    f"the checkpoint {self.checkpoint_path} is of an unfinished send ({unfinished}); give "
                    "--resume to continue it, or --restart to discard it (and empty the reject file) and start "
                    "from the beginning"
                )
            return False, {}
        if doc is None:
            print(f"send: no checkpoint at {self.checkpoint_path}; starting from the beginning", file=self.err)
            return False, {}
        apply_checkpoint(self.files, doc, args.historical)
        keys = {f.key for f in self.files}
        return True, {k: v for k, v in doc["files"].items() if k not in keys}

    def _progress_bar(self) -> Optional[Progress]:
        args = self.args
        show = args.progress == "on" or (args.progress == "auto" and is_terminal(self.err))
        if not show or args.quiet:
            return None
        sizes = [f.size for f in self.files]
        total = sum(s for s in sizes if s is not None) if None not in sizes else None
        return Progress(self.err, self.tally, self.tracker, self.upload.stats, total)

    def run(self) -> int:
        """Read, validate and send every input; write the checkpoint; report; exit code."""
        try:
            stats, cut_short = self._read_and_send()
            if self.progress is not None:
                self.progress.clear()
            self._save_checkpoint()
            self.rejects.close()
            return self._report(stats, interrupted=self.interrupt.event.is_set() or cut_short)
        finally:
            self.lock.release()

    # -- reading and sending -------------------------------------------------------------------

    def _read_and_send(self) -> Tuple[UploaderStats, bool]:
        """Send every input and let the upload finish, with the progress bar and the periodic
        checkpoint running meanwhile: (the final stats, whether a second Ctrl-C cut it short)."""
        ticker_stop = threading.Event()
        ticker = threading.Thread(target=self._tick, args=(ticker_stop,), name="mparticle-send-progress", daemon=True)
        ticker.start()
        try:
            with self.interrupt.handling():
                return self._send_all()
        finally:
            ticker_stop.set()
            self.rejects.flush()  # the records of waiting rejects are marked done before the end
            self.tracker.freeze()
            ticker.join(1.0)

    def _send_all(self) -> Tuple[UploaderStats, bool]:
        try:
            try:
                for f in self.files:
                    if self._stopping():
                        break
                    self._send_file(f)
            except KeyboardInterrupt:  # the first Ctrl-C while waiting on stdin
                self.interrupt.event.set()
            return self.upload.finish(self._shutdown_limit), False
        except KeyboardInterrupt:  # a second Ctrl-C: stop now
            return self.upload.finish(lambda: 0.0), True

    def _shutdown_limit(self) -> Optional[float]:
        """How long the upload may still take: unbounded (None) until the run is stopping."""
        return self.args.shutdown_timeout if self.interrupt.event.is_set() or self.error else None

    def _stopping(self) -> bool:
        return (
            self.interrupt.event.is_set()
            or self.upload.fatal is not None
            or self.error is not None
            or self.rejects.failure is not None
        )

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
        tally = self.tally
        try:
            reader, handle = reader_for(f, self.interrupt, self.stdin)
        except OSError as exc:
            print(f"send: cannot read {f.display}: {exc}", file=self.err)
            tally.input_errors += 1
            return
        start = reader.offset
        tally.bytes_skipped += start
        prefix = f.skip.prefix()
        if prefix is not None and start:
            f.records = prefix.last
            tally.skipped += prefix.last
        try:
            f.finished = self._send_records(f, reader, start)
        except (InputChanged, OutputError) as exc:
            self.error = f"{exc}" + ("; the checkpoint was left as it was" if isinstance(exc, InputChanged) else "")
        except OSError as exc:
            print(f"send: error reading {f.display}: {exc}", file=self.err)
            tally.input_errors += 1
        finally:
            if handle is not None:
                handle.close()
            tally.bytes_finished += reader.offset - start
            tally.bytes_current = 0

    def _send_records(self, f: InputFile, reader: RecordReader, start: int) -> bool:
        """Send the records of ``f`` not done yet; True when it was read to its end."""
        tally = self.tally
        skip = f.skip if f.skip.intervals else None  # a fresh input has nothing to skip
        for record in reader:
            tally.bytes_current = record.end_offset - start  # (the reader.offset)
            f.records = record.ordinal
            if skip is not None and record.ordinal in skip:
                tally.skipped += 1
                continue
            tally.read += 1
            if not self._send_record(f, record):
                return False
        return True

    def _send_record(self, f: InputFile, record: Record) -> bool:
        """Reject or hand over one record; False when the run must stop reading."""
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
        if self.plan is not None:
            planned, violations = self.plan.apply(f"{f.display}:{record.line}", batch)
            if planned is None:
                self._reject(f, record, f"violates the data plan: {violations[0]['message']}", violations)
                return True
            batch = planned
        try:
            handed_over = self.upload.put(Item.of(f, record), batch, self.interrupt.event)
        except (TypeError, ValueError) as exc:  # over the size limit once its source_request_id is added
            self._reject(f, record, f"invalid: {exc}", [{"path": "", "rule": "max_bytes", "message": str(exc)}])
            return True
        self.tally.valid += 1
        return handed_over and not self._stopping()

    def _reject(self, f: InputFile, record: Record, reason: str, problems: List[Dict[str, str]]) -> None:
        done = None
        if not self.args.dry_run:
            done = functools.partial(self.tracker.mark, [Item.of(f, record)], rejected=True)
        self.rejects.write(reject_entry(f, record.line, record.array_index, reason, problems, record.text), done)
        self.tally.rejected += 1

    # -- the outcome ---------------------------------------------------------------------------

    def _report(self, stats: UploaderStats, interrupted: bool) -> int:
        """Print the summary (and why the run stopped, if it stopped early); the exit code."""
        failed = failed_batches(stats)
        settled = stats.delivered + self.tracker.server_rejected + failed
        pending = 0 if self.args.dry_run else max(0, self.tally.valid - settled)
        if not self.args.quiet:
            print(self._summary(stats, pending, interrupted), file=self.err)
        stopped = self._stop_reason()
        if stopped is not None:
            print(f"send: stopped: {stopped}", file=self.err)
            return EXIT_FAILURE
        if failed and stats.last_error is not None and not self.args.quiet:
            print(f"send: last error: {error_summary(stats.last_error)}", file=self.err)
        if interrupted:
            return self.interrupt.exit_code
        return self._exit_code(stats, undone=failed + pending)

    def _stop_reason(self) -> Optional[str]:
        """Why the run stopped before its end (an input or output error, a fatal refusal), if it did."""
        if self.error is not None:
            return self.error
        if self.rejects.failure is not None:
            return str(self.rejects.failure)
        fatal = self.upload.fatal
        return error_summary(fatal) if fatal is not None else None

    def _exit_code(self, stats: UploaderStats, undone: int) -> int:
        tally = self.tally
        if not self.args.dry_run and tally.valid and not stats.delivered:
            return EXIT_FAILURE
        if tally.rejected or tally.input_errors or self.tracker.server_rejected or undone:
            return EXIT_PARTIAL
        if self.tracker.earlier_rejected:  # the records --resume skipped include rejects
            return EXIT_PARTIAL
        return EXIT_OK

    def _summary(self, stats: UploaderStats, pending: int, interrupted: bool) -> str:
        args, tally = self.args, self.tally
        elapsed = max(1e-6, time.monotonic() - tally.started)
        head = "send --dry-run" if args.dry_run else "send"
        text = f"{head}: " + ", ".join(self._summary_parts(stats, pending))
        text += f" in {elapsed:.1f} s ({tally.read / elapsed:,.0f} batches/s)"
        if interrupted:
            text += "; interrupted"
        if not args.dry_run and (failed_batches(stats) or pending or interrupted):
            text += f"; continue with --resume (checkpoint {self.checkpoint_path})"
        return text

    def _summary_parts(self, stats: UploaderStats, pending: int) -> List[str]:
        tally = self.tally
        parts = [f"{tally.read:,} batches read ({format_size(tally.bytes_read)})"]
        if self.args.dry_run:
            parts.append(f"{tally.valid:,} valid (would be sent in {_requests(stats.requests)})")
        else:
            parts.append(f"{stats.delivered:,} sent in {_requests(stats.requests)}")
        rejected = tally.rejected + self.tracker.server_rejected
        parts.append(f"{rejected:,} rejected" + (f" (see {self.rejects.path})" if self.rejects.written else ""))
        failed = failed_batches(stats)
        earlier = self.tracker.earlier_rejected
        optional = [
            (failed, f"{failed:,} failed"),
            (pending, f"{pending:,} not sent"),
            (tally.skipped, f"{tally.skipped:,} skipped (done in an earlier run)"),
            (earlier, f"{earlier:,} rejected in earlier runs"),
            (tally.input_errors, f"{tally.input_errors:,} input error" + ("" if tally.input_errors == 1 else "s")),
        ]
        parts += [text for count, text in optional if count]
        plan = self.plan.summary() if self.plan is not None else None
        return parts + [plan] if plan else parts


def _requests(count: int) -> str:
    return f"{count:,} request" + ("" if count == 1 else "s")
