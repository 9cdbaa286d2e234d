"""Reading pairs of a face and a sound (pipelines.paired) for the modalities that train on
them (Wav2Pix's speech-to-face, AVGAN's face-and-voice), and the two halves of a pair as
modalities of their own for judging: `FacesOfPairs` sees the pictures, `VoicesOfPairs` hears
the sounds, both in the pairs' order, labelled by identity."""

from pathlib import Path

import numpy as np

from keras_avgan.modalities.audio import AudioModality
from keras_avgan.modalities.base import TrainingData
from keras_avgan.modalities.image import ImageModality
from pipelines import labels as labels_lib
from pipelines import paired


class PairedData:
    """The data half of a paired modality: scanning, checking and reporting pairs, and each
    pair's identity as its label. Mixed in before a Modality."""

    extensions_text = "pairs: a sound and a picture with one name, or a pairs.csv"

    def find_files(self, path: Path) -> list[str]:
        if not paired.looks_paired(path):
            return []
        return [audio for audio, _, _ in paired.find_pairs(path)[0]]  # nothing opened

    def _scan(self, recipe, path: Path) -> paired.PairScan:
        from keras_avgan.modalities.sharded import refuse_files

        refuse_files(path)  # training alone reads pair shards (load)
        scan = paired.scan_pairs(str(path), sample_rate=recipe and recipe.sample_rate)
        # Mismatched faces need a second identity to come from.
        paired.require_pairs(scan, str(path), minimum_identities=2 if recipe else 1)
        return scan

    def usable_files(self, recipe, path: Path):
        scan = self._scan(recipe, path)
        return scan.pairs, scan.unpaired + scan.bad

    def load(self, recipe, path: Path, report) -> TrainingData:
        """The pairs, with their identity ids; a recipe conditioned on identity also gets
        them as its class conditions. A shard folder is read as its manifest says."""
        from keras_avgan.modalities import sharded
        from pipelines.shards import looks_sharded

        if looks_sharded(path):
            return sharded.load(self, recipe, path, report)
        scan = self._scan(recipe, path)
        skipped = scan.unpaired + scan.bad
        if skipped:
            names = "\n".join(f"  {name}: {reason}" for name, reason in skipped)
            print(f"warning: {len(skipped)} files under {path} are not in a usable pair:\n"
                  f"{names}", file=report)
        if recipe.conditioning == "class":
            from keras_avgan.modalities import conditions as conditions_lib

            found, files, ids = conditions_lib.from_data(
                recipe, path, scan.pairs, self.label_rows(path, recipe), report)
            return TrainingData(root=path, files=files, conditions=found, label_ids=ids,
                                class_names=tuple(found.classes))
        return TrainingData(root=path, files=scan.pairs, class_names=tuple(scan.identities),
                            label_ids=paired.identity_ids(scan.pairs, scan.identities))

    def describe(self, path: Path, recipe=None) -> str:
        return paired.describe_pairs(self._scan(recipe, path))

    def pair_batches(self, recipe, data: TrainingData, seed: int, mismatched: bool = True):
        """The pairs as tf.data batches of one step's worth (pipelines.paired, or the
        shards' reader)."""
        from keras_avgan.modalities import sharded

        batch_size = recipe.batch_size * recipe.d_steps
        if sharded.is_sharded(data):
            from pipelines.shards.pair_reader import pair_shard_dataset

            return pair_shard_dataset(data.manifest, batch_size=batch_size, seed=seed,
                                      mismatched=mismatched)
        return paired.paired_dataset(
            data.files, list(data.class_names), sample_rate=recipe.sample_rate,
            slice_len=recipe.slice_len, image_size=recipe.image_size,
            batch_size=batch_size, seed=seed, mismatched=mismatched)

    def label_rows(self, path: Path, recipe=None) -> labels_lib.Labels:
        """Each pair's picture -> its identity (the folder or pairs.csv names it); nothing
        is opened."""
        candidates, _, source = paired.find_pairs(path)
        rows = {str(Path(image).resolve()): {"identity": identity}
                for _, image, identity in candidates}
        return labels_lib.Labels(rows, source=f"pairs ({source})")


class FacesOfPairs(PairedData, ImageModality):
    """The pictures of pairs (a Pair's `.path` is its picture), judged as pictures, plus the
    share of them in which a face detector finds a face."""

    def classifier_free_scores(self, published: np.ndarray, recipe) -> dict:
        from pipelines.video import faces_found  # OpenCV, loaded only when judging

        return {"face_detected": float(np.mean(faces_found(published)))}


class VoicesOfPairs(PairedData, AudioModality):
    """The sounds of pairs, judged as sounds, peak-normalised as training hears them."""

    def labelled_examples(self, recipe, files) -> np.ndarray:
        from pipelines.audio import eval_clips

        return eval_clips([pair.audio for pair in files], recipe.sample_rate, recipe.slice_len,
                          normalize=True)
