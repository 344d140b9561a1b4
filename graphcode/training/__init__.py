"""Training with Lightning: ``graphcode fit|validate|test|predict -c configs/X.yaml``.

- :mod:`graphcode.training.module`: the LightningModule around :class:`graphcode.models.GraphCodeModel`;
- :mod:`graphcode.training.datamodule`: the LightningDataModule (mining, tokenizer, cached features, loaders);
- :mod:`graphcode.training.callbacks`: writing ``predict`` outputs;
- :mod:`graphcode.training.cli`: the LightningCLI subclass and ``run_lightning_cli``.
"""
