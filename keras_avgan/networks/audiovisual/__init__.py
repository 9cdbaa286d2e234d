"""Networks that see a face and a sound."""
