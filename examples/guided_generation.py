"""Syntax-guided decoding with any Hugging Face causal language model: a ``LogitsProcessor``.

    python examples/guided_generation.py --model /models/codegen-350M-mono    # a downloaded model folder
    python examples/guided_generation.py --tiny                               # a random tiny GPT-2, made here

``SyntaxGuidedLogitsProcessor`` masks the tokens that make the code unrepairable (proved with tree-sitter) and
lets end-of-sequence through only on valid code. Plain and guided beam search run side by side on the same
prompt; each result is checked with ``graphcode.check_syntax``. Needs ``graphcode[train]``.
"""

from __future__ import annotations

import argparse
import sysconfig
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, LogitsProcessorList

import graphcode
from graphcode.generate import SyntaxGuidedLogitsProcessor

PROMPT = 'def mean(xs):\n    """Return the arithmetic mean of xs."""\n'


def tiny_model():
    """A random 2-layer GPT-2 over a BPE trained on a little of the standard library."""
    from transformers import AutoConfig

    from graphcode.data.tokenizer import TokenizerConfig, train_tokenizer

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    texts = [(stdlib / name).read_text(encoding="utf-8") for name in ("textwrap.py", "posixpath.py", "statistics.py")]
    tokenizer = train_tokenizer(iter(texts), TokenizerConfig(vocab_size=600))
    torch.manual_seed(0)
    config = AutoConfig.for_model("gpt2", n_embd=32, n_layer=2, n_head=4, n_positions=256, vocab_size=len(tokenizer),
                                  bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
                                  pad_token_id=tokenizer.pad_token_id)
    return AutoModelForCausalLM.from_config(config), tokenizer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--model", help="a Hugging Face causal LM: hub name or local folder")
    where.add_argument("--tiny", action="store_true", help="a random tiny GPT-2 (to try the code)")
    parser.add_argument("--max-new-tokens", type=int, default=24)
    args = parser.parse_args(argv)
    if args.tiny:
        model, tokenizer = tiny_model()
    else:
        model, tokenizer = AutoModelForCausalLM.from_pretrained(args.model), AutoTokenizer.from_pretrained(args.model)
    model.eval()
    inputs = tokenizer(PROMPT, return_tensors="pt")
    settings = {"max_new_tokens": args.max_new_tokens, "num_beams": 4, "num_return_sequences": 4,
                "pad_token_id": tokenizer.pad_token_id or tokenizer.eos_token_id, "do_sample": False}
    for guided in (False, True):
        processors = LogitsProcessorList()
        if guided:  # the prompt is code the output continues: it is the checked text's prefix
            processors.append(SyntaxGuidedLogitsProcessor(tokenizer, "python", prefix=PROMPT,
                                                          skip_tokens=inputs["input_ids"].shape[1],
                                                          num_viable=4, dead_rows="drop"))
        with torch.no_grad():
            out = model.generate(**inputs, logits_processor=processors, **settings)
        texts = tokenizer.batch_decode(out[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        valid = [graphcode.check_syntax(PROMPT + text, "python").valid for text in texts]
        print(f"{'guided' if guided else 'plain '} beam search: {sum(valid)} of {len(texts)} candidates valid")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
