"""streamkit's benchmark suite: ``python -m benchmarks`` from the repository root.

See ``benchmarks/README.md``. The layers (bytes → frames, bytes → typed events,
bytes → final object, for every API) register themselves in ``_layers.LAYERS``;
``python -m benchmarks.archive`` and ``python -m benchmarks.convert`` measure the
archive reduction and stream conversion.
"""
