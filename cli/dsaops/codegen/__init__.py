"""Rendering of the op project: jinja engine, per-target views of the model, file writer."""
