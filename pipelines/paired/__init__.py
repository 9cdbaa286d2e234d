"""Face/sound pairs on disk to tf.data: finding and checking them (`scan`), the training
stream with mismatched faces (`dataset`)."""

from pipelines.paired.dataset import identity_ids, paired_dataset
from pipelines.paired.scan import (
    PAIR_COLUMNS,
    PAIRS_FILE,
    Pair,
    PairScan,
    csv_columns,
    describe_pairs,
    find_pairs,
    looks_paired,
    require_pairs,
    scan_pairs,
)

__all__ = ["PAIRS_FILE", "PAIR_COLUMNS", "Pair", "PairScan", "csv_columns", "describe_pairs",
           "find_pairs", "identity_ids", "looks_paired", "paired_dataset", "require_pairs",
           "scan_pairs"]
