"""Train with a hub backbone's config, pointed at a local folder (no hub access needed).

    python examples/hub_backbone.py --backbone /models/codet5-small          # a downloaded Salesforce/codet5-small
    python examples/hub_backbone.py --tiny -- --trainer.max_steps=20          # a tiny stand-in, made here

``configs/codet5-small.yaml`` names ``Salesforce/codet5-small``. Without the hub, download the model elsewhere
(``huggingface-cli download Salesforce/codet5-small --local-dir codet5-small``), copy the folder, and point the
config's backbone and tokenizer at it; everything else (graph encoder, fusion, data) stays as configured.
``--tiny`` saves a 2-layer T5 with a byte-level BPE in the same layout, to try the command. Arguments after
``--`` go to ``graphcode fit`` unchanged. Needs ``graphcode[train]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import sysconfig
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "codet5-small.yaml"


def save_tiny_t5(folder: Path) -> Path:
    """A tiny T5 and a BPE trained on a little of the standard library, saved as a hub download would be."""
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    from graphcode.data.tokenizer import TokenizerConfig, train_tokenizer

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    texts = [(stdlib / name).read_text(encoding="utf-8") for name in ("textwrap.py", "posixpath.py", "heapq.py")]
    tokenizer = train_tokenizer(iter(texts), TokenizerConfig(vocab_size=500))
    config = AutoConfig.for_model("t5", d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=4,
                                  vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                                  eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.pad_token_id)
    AutoModelForSeq2SeqLM.from_config(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--backbone", help="a local folder holding the hub model (config, weights, tokenizer)")
    where.add_argument("--tiny", action="store_true", help="make a tiny stand-in in runs/examples/tiny-t5 and use it")
    parser.add_argument("overrides", nargs="*", help="after '--': more graphcode fit arguments")
    args = parser.parse_args(argv)
    backbone = save_tiny_t5(Path("runs/examples/tiny-t5")) if args.tiny else Path(args.backbone)
    command = [sys.executable, "-m", "graphcode", "fit", "-c", str(CONFIG), f"--model.backbone={backbone}",
               f"--data.tokenizer.name_or_path={backbone}", *args.overrides]
    print("$ graphcode " + " ".join(command[3:]), flush=True)
    return subprocess.call(command)


if __name__ == "__main__":
    raise SystemExit(main())
