"""Scoring predictions: CodeXGLUE BLEU, sacreBLEU, CodeBLEU, exact match, syntax validity, pass@k, and the
execution sandbox that pass@k needs.

==================  ===============================================================================
module              holds
==================  ===============================================================================
``bleu``            CodeXGLUE's smoothed corpus BLEU-4, sacreBLEU, exact match
``codebleu``        CodeBLEU and its four components, through the ``codebleu`` package
``passk``           the unbiased pass@k estimator
``sandbox``         running untrusted generated programs (HumanEval form), contained
``inputs``          reading text and JSONL inputs, with errors that name file, line and field
``report``          computing a run's metrics, the table, ``summary.json`` and ``examples.jsonl``
``cli``             ``graphcode evaluate``
==================  ===============================================================================

Metrics score text: this package imports the standard library, ``sacrebleu``, ``codebleu``, ``tqdm`` (progress)
and, from graphcode, ``check``, ``errors`` and ``io`` (atomic writes) only; never torch or the models.
Submodules are imported on use.
"""
