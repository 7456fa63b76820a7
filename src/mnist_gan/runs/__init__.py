"""Recording and comparing runs: the compared knobs and metrics, TensorBoard's HPARAMS
records, and run.json."""
