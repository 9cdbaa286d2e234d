"""Data errors a user must fix (missing path, no usable file, unusable rate or length)."""


class DataError(Exception):
    """The message names the path and says what to do; the CLI exits with code 2."""
