"""Matplotlib figures written next to runs: loss curves and waveform/spectrogram grids."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: training machines and CI have no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy import signal  # noqa: E402


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=90, bbox_inches="tight")
    plt.close(fig)
    tmp.replace(path)
    return path


def loss_curves(metrics_file: Path, out: Path) -> Path | None:
    """One panel per logged loss against the G step, from metrics.jsonl."""
    if not metrics_file.is_file():
        return None
    rows = [json.loads(line) for line in metrics_file.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if "step" in r]
    keys = sorted({k for r in rows for k in r if k.endswith("loss") or k in ("gp", "w_dist")})
    if not rows or not keys:
        return None
    fig, axes = plt.subplots(len(keys), 1, figsize=(7, 2.0 * len(keys)), sharex=True,
                             squeeze=False)
    for ax, key in zip(axes[:, 0], keys, strict=True):
        points = [(r["step"], r[key]) for r in rows if key in r]
        ax.plot([p[0] for p in points], [p[1] for p in points], lw=1)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("generator step")
    return _save(fig, out)


def audio_grid(clips: np.ndarray, sample_rate: int, out: Path, titles=None) -> Path:
    """Waveform above log spectrogram, one column per clip (at most 16 shown, 4 per row)."""
    clips = np.asarray(clips, dtype=np.float32).reshape(len(clips), -1)[:16]
    cols = min(4, len(clips))
    rows = int(np.ceil(len(clips) / cols))
    fig, axes = plt.subplots(2 * rows, cols, figsize=(3.2 * cols, 3.0 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for i, clip in enumerate(clips):
        wave_ax, spec_ax = axes[2 * (i // cols), i % cols], axes[2 * (i // cols) + 1, i % cols]
        wave_ax.set_axis_on()
        wave_ax.plot(np.arange(len(clip)) / sample_rate, clip, lw=0.4)
        wave_ax.set_ylim(-1.05, 1.05)
        wave_ax.set_title(titles[i] if titles else f"#{i}", fontsize=8)
        wave_ax.tick_params(labelsize=6)
        freqs, times, power = signal.spectrogram(clip, fs=sample_rate, nperseg=256, noverlap=192)
        spec_ax.set_axis_on()
        spec_ax.pcolormesh(times, freqs / 1000, 10 * np.log10(power + 1e-10), shading="auto",
                           vmin=-100, vmax=-10)
        spec_ax.set_ylabel("kHz", fontsize=6)
        spec_ax.tick_params(labelsize=6)
    fig.tight_layout()  # titles of one row clear the tick labels of the row above
    return _save(fig, out)


def image_grid(images: np.ndarray, out: Path, titles=None) -> Path:
    """Images in [0, 1] HWC, 4 per row."""
    images = np.clip(np.asarray(images, dtype=np.float32), 0, 1)[:16]
    cols = min(4, len(images))
    rows = int(np.ceil(len(images) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.2 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for i, image in enumerate(images):
        ax = axes[i // cols, i % cols]
        ax.imshow(image.squeeze(), cmap="gray" if image.shape[-1] == 1 else None)
        if titles:
            ax.set_title(titles[i], fontsize=8)
    return _save(fig, out)


def audio_comparison(real: np.ndarray, generated: np.ndarray, sample_rate: int,
                     out: Path) -> Path:
    """Spectrograms of real clips (top row) above generated ones (bottom row)."""
    count = min(len(real), len(generated), 6)
    fig, axes = plt.subplots(2, count, figsize=(2.8 * count, 5.0), squeeze=False)
    for row, (label, clips) in enumerate((("real", real), ("generated", generated))):
        for i in range(count):
            ax = axes[row, i]
            freqs, times, power = signal.spectrogram(np.asarray(clips[i]).reshape(-1),
                                                     fs=sample_rate, nperseg=256, noverlap=192)
            ax.pcolormesh(times, freqs / 1000, 10 * np.log10(power + 1e-10), shading="auto",
                          vmin=-100, vmax=-10)
            ax.set_title(f"{label} #{i}", fontsize=8)
            ax.tick_params(labelsize=6)
        axes[row, 0].set_ylabel("kHz", fontsize=7)
    return _save(fig, out)


def spectrogram_images(images: np.ndarray, out: Path, titles=None,
                       channel_names=("log magnitude", "instantaneous frequency")) -> Path:
    """Generator spectrograms [B, time, freq, C] in [-1, 1]: one row per channel, frequency
    upwards, at most 8 examples."""
    images = np.asarray(images, dtype=np.float32)[:8]
    count, channels = len(images), images.shape[-1]
    fig, axes = plt.subplots(channels, count, figsize=(2.2 * count, 2.2 * channels),
                             squeeze=False)
    for i, image in enumerate(images):
        for c in range(channels):
            ax = axes[c, i]
            ax.imshow(image[..., c].T, origin="lower", aspect="auto", vmin=-1, vmax=1,
                      cmap="magma" if c == 0 else "twilight")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_title(titles[i] if titles else f"#{i}", fontsize=8)
            if i == 0:
                ax.set_ylabel(channel_names[c], fontsize=7)
    return _save(fig, out)


def image_comparison(real: np.ndarray, generated: np.ndarray, out: Path, count: int = 8) -> Path:
    """Real images (top row) above generated ones (bottom row), in [0, 1] HWC."""
    count = min(len(real), len(generated), count)
    fig, axes = plt.subplots(2, count, figsize=(1.6 * count, 3.6), squeeze=False)
    for row, (label, images) in enumerate((("real", real), ("generated", generated))):
        for i in range(count):
            ax = axes[row, i]
            ax.imshow(np.clip(np.asarray(images[i], np.float32), 0, 1))
            ax.set_axis_off()
            ax.set_title(f"{label} #{i}", fontsize=7)
    return _save(fig, out)


def face_voice_sheet(images: np.ndarray, clips: np.ndarray, sample_rate: int, out: Path,
                     titles=None, count: int = 8) -> Path:
    """Each face beside its sound's spectrogram, one pair per row (at most `count`)."""
    images = np.clip(np.asarray(images, dtype=np.float32), 0, 1)[:count]
    clips = np.asarray(clips, dtype=np.float32).reshape(len(clips), -1)[:count]
    fig, axes = plt.subplots(len(images), 2, figsize=(6.4, 1.7 * len(images)), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 3]})
    for i, (image, clip) in enumerate(zip(images, clips, strict=True)):
        face_ax, spec_ax = axes[i]
        face_ax.imshow(image)
        face_ax.set_axis_off()
        face_ax.set_title(titles[i] if titles else f"#{i}", fontsize=8)
        freqs, times, power = signal.spectrogram(clip, fs=sample_rate, nperseg=256, noverlap=192)
        spec_ax.pcolormesh(times, freqs / 1000, 10 * np.log10(power + 1e-10), shading="auto",
                           vmin=-100, vmax=-10)
        spec_ax.set_ylabel("kHz", fontsize=6)
        spec_ax.tick_params(labelsize=6)
    fig.tight_layout()
    return _save(fig, out)
