"""streamkit's benchmark suite: ``python -m benchmarks`` from the repository root.

See ``benchmarks/README.md``. Layers (bytes → frames, later bytes → typed events
and bytes → final object) register themselves in ``_layers.LAYERS``.
"""
