"""Errors that are the user's to fix: the CLI prints their message and exits with code 2."""


class UserError(Exception):
    """Bad input or usage; the message names the file or flag and what to do."""


class TrainingDiverged(RuntimeError):
    """A loss became NaN or Inf; the run keeps its last good checkpoint (exit code 1)."""
