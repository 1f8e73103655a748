"""Sub-commands of the ``matome`` CLI, one module each, each with ``register(app)``."""
