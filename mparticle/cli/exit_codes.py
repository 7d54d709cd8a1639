"""The exit codes of the ``mparticle`` commands."""

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_PARTIAL"]

EXIT_OK = 0  #: everything read was valid and accepted
EXIT_PARTIAL = 1  #: some records were rejected, or some batches could not be delivered
EXIT_FAILURE = 2  #: usage, input or authentication error, or no valid batch could be delivered
EXIT_INTERRUPTED = 130  #: stopped by Ctrl-C (128 + SIGINT; 143 for SIGTERM)
#: the reader of stdout went away (``mparticle validate big.jsonl | head -1``): 128 + SIGPIPE,
#: as a process the signal had ended, and no message
EXIT_BROKEN_PIPE = 141
