"""Old import path of ``mparticle send``'s pieces; they live in :mod:`mparticle.cli` now."""

from mparticle.cli.checkpoint import CHECKPOINT_VERSION, checkpoint_checksum, load_checkpoint, write_json_atomic
from mparticle.cli.errors import OutputError, UsageError
from mparticle.cli.exit_codes import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL
from mparticle.cli.lock import CheckpointLock
from mparticle.cli.paths import dry_run_path
from mparticle.cli.rejects import RejectWriter
from mparticle.cli.send import build_configuration, run_send
from mparticle.cli.sources import source_request_id
from mparticle.cli.tracker import Tracker
from mparticle.cli.upload import DryRun, Upload
from mparticle.cli.validate import check_batch

__all__ = [
    "CHECKPOINT_VERSION", "EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_PARTIAL", "CheckpointLock",
    "DryRun", "OutputError", "RejectWriter", "Tracker", "Upload", "UsageError", "build_configuration",
    "check_batch", "checkpoint_checksum", "dry_run_path", "load_checkpoint", "run_send", "source_request_id",
    "write_json_atomic",
]
