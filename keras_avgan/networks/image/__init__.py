"""Image networks: DCGAN."""
