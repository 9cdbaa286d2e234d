"""Audio files people open: 16-bit WAVs, and a PNG of their waveforms and spectrograms."""

from pathlib import Path

import numpy as np
import soundfile


def write_wav(path: Path, clip: np.ndarray, sample_rate: int) -> Path:
    """16-bit PCM, clipped to [-1, 1] first so loud outputs do not wrap around."""
    path.parent.mkdir(parents=True, exist_ok=True)
    clip = np.clip(np.asarray(clip, dtype=np.float32), -1.0, 1.0)
    tmp = path.with_name(f".{path.name}.tmp")
    soundfile.write(str(tmp), clip.reshape(len(clip), -1), sample_rate, subtype="PCM_16",
                    format="WAV")
    tmp.replace(path)
    return path


def write_audio_batch(clips: np.ndarray, sample_rate: int, out_dir: Path, prefix: str,
                      titles=None, names=None) -> tuple[list[Path], Path]:
    """One WAV per clip (`prefix_NN.wav`, or `NAME.wav` for each of `names`) plus
    `prefix.png` of their waveforms and spectrograms."""
    clips = np.asarray(clips)
    width = max(2, len(str(len(clips) - 1)))
    names = names or [f"{prefix}_{i:0{width}d}" for i in range(len(clips))]
    wavs = [write_wav(out_dir / f"{name}.wav", clip, sample_rate)
            for name, clip in zip(names, clips, strict=True)]
    from keras_avgan.media import plots  # matplotlib: only the figure needs it

    png = plots.audio_grid(clips, sample_rate, out_dir / f"{prefix}.png", titles=titles)
    return wavs, png
