"""Data for graphcode models: mining task records, datasets with cached graphs, and collation.

- :mod:`graphcode.data.records`: task records (JSONL) and line-aligned parallel files;
- :mod:`graphcode.data.mine`: ``graphcode mine``, examples from source trees through ``grammars/<lang>/mine.scm``;
- :mod:`graphcode.data.dedup`: exact and MinHash-Jaccard near-duplicate removal;
- :mod:`graphcode.data.features`: one source → tokens, graph and node-token alignment (with truncation);
- :mod:`graphcode.data.dataset`: loading records through Hugging Face ``datasets``, features built once and cached;
- :mod:`graphcode.data.tokenizer`: pretrained tokenizers, or a byte-level BPE trained on the data;
- :mod:`graphcode.data.collate`: batches (:class:`graphcode.models.GraphCodeBatch`) and ``encode_sources``.

Nothing is imported here, so ``graphcode mine`` starts without torch.
"""
