"""Input pipelines on tf.data. Never imports keras_avgan."""
