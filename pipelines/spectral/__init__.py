"""Spectrograms and their way back to audio, in TF ops that convert to builtins-only TFLite:
SpecGAN's log magnitude (`specgan`), GANSynth's magnitude + instantaneous frequency
(`gansynth`), the matmul STFT they share (`dft`), Griffin-Lim (`inverse`) and the mel warp
(`mel`)."""
