"""Audio networks: WaveGAN, SpecGAN, GANSynth and the spectrogram critic branch."""
