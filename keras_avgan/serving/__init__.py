"""Shipping generators: SavedModels for TF Serving (`export`), TFLite files (`tflite`) and the
REST client (`client`)."""
