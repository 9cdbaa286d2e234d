"""Files people open: WAVs, PNGs and figures. No TensorFlow here: the REST client uses it."""
