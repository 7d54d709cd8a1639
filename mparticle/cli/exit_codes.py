"""The exit codes of the ``mparticle`` commands."""

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_PARTIAL", "EXIT_UNFINISHED"]

EXIT_OK = 0  #: every record is in mParticle: valid and accepted (in this run or, with --resume, an earlier one)
EXIT_PARTIAL = 1  #: some records were rejected (in this run or an earlier one), or some batches not delivered
EXIT_FAILURE = 2  #: usage, input or authentication error, or no valid batch could be delivered
#: ``send`` without ``--resume`` or ``--restart`` over the checkpoint of an unfinished run:
#: nothing was done (the checkpoint and the reject file are as they were)
EXIT_UNFINISHED = 3
EXIT_INTERRUPTED = 130  #: stopped by Ctrl-C (128 + SIGINT; 143 for SIGTERM)
#: the reader of stdout went away (``mparticle validate big.jsonl | head -1``): 128 + SIGPIPE,
#: as a process the signal had ended, and no message
EXIT_BROKEN_PIPE = 141
