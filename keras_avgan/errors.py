"""Errors the CLI turns into a message and an exit code instead of a traceback.

UserError (exit 2) is the user's to fix; the others are failures of the run or of its
environment (exit 1), or a stop asked for by a signal (exit 128 + the signal's number).
"""


class UserError(Exception):
    """Bad input or usage; the message names the file or flag and what to do."""


class TrainingDiverged(RuntimeError):
    """A loss became NaN or Inf; the run keeps its last good checkpoint (exit code 1)."""


class DiskFull(RuntimeError):
    """No space left while a run wrote a file; the last complete checkpoint stands (exit 1).

    Not a UserError: the command and its input were right, the machine was not; rerunning
    the same command once there is space resumes the run."""


class Interrupted(Exception):
    """SIGINT or SIGTERM stopped `fit` between two steps, after it saved (exit 128 + signum)."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.signum = signum


class WorkerLost(RuntimeError):
    """A multi-worker run lost a worker (killed, crashed, unreachable) or its workers trained
    apart; the chief's newest checkpoint stands, and starting every worker again resumes
    from it (exit 1)."""
