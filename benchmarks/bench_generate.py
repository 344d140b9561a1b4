"""Generation cost and validity: post-hoc checking, and syntax-guided decoding against post-hoc filtering.

Prints, measured in one run on the same model and prompts (completion task: the prompt is a function's
header and docstring, and the checked code is prompt + completion):

- generation alone, and generation followed by post-hoc checking (check_syntax of every candidate,
  repairs of invalid ones, the choice): times and their ratio (the target is at most 1.1x);
- guided decoding (SyntaxGuidedLogitsProcessor) against unguided decoding with post-hoc filtering at
  equal N: the share of valid candidates, the share of prompts that get a valid (or repaired) result,
  and the time ratio.

Times are medians over ``--repeats`` runs. Nothing is asserted.

The model is ``--model DIR`` (an exported model, e.g. ``runs/tiny/export`` from
``graphcode fit -c configs/tiny.yaml``, with prompts from its mined test split), or by default
``runs/tiny/export`` when it exists, else ``quick``: a word-level GPT-2 (2 layers, width 64)
trained here (about a minute on a CPU) on synthetic Python functions. It is deliberately undertrained, so it
makes syntax errors for guidance to prevent.

    .venv/bin/python benchmarks/bench_generate.py
    .venv/bin/python benchmarks/bench_generate.py --model quick --strategies sample
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from graphcode.generate.candidates import check_candidate, select
from graphcode.generate.decoding import DecodingConfig, generate_candidates
from graphcode.generate.loading import PRECISIONS

EXPORT = Path("runs/tiny/export")
RECORDS = Path("runs/cache/stdlib-python-docstring-to-body.jsonl")


# ---------------------------------------------------------------------------------------- the quick model


def synthetic_functions(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` small Python functions as (header with docstring, body)."""
    rng = random.Random(seed)
    names = ["add", "scale", "total", "clip", "mean", "pick", "count", "merge", "shift", "limit"]
    args = ["a", "b", "x", "y", "n", "items", "value"]
    ops = ["+", "-", "*", "//", "%"]
    out = []
    for i in range(n):
        params = rng.sample(args, rng.randint(1, 3))
        name = f"{rng.choice(names)}_{i % 17}"
        header = f'def {name}({", ".join(params)}):\n    """Return the {rng.choice(names)} of {params[0]}."""'
        lines = []
        v = params[0]
        for _ in range(rng.randint(1, 3)):
            kind = rng.random()
            other = rng.choice([*params, str(rng.randint(1, 9))])
            if kind < 0.5:
                lines.append(f"    {v} = {v} {rng.choice(ops)} {other}")
            elif kind < 0.75:
                lines.append(f"    if {v} > {other}:\n        {v} = {other}")
            else:
                lines.append(f"    for i in range({rng.randint(2, 5)}):\n        {v} = {v} + i")
        lines.append(f"    return {v}" if rng.random() < 0.7 else f"    return ({v}, {rng.choice(params)})")
        out.append((header, "\n" + "\n".join(lines) + "\n"))
    return out


PIECE = r"\n *|\w+| +|[^\w\s]"
"""Pieces of the quick model's tokenizer: a line break with its indentation, a word, spaces, a symbol."""


def piece_tokenizer(texts: list[str]) -> Any:
    """A word-level tokenizer over the pieces of ``texts`` (decoding concatenates them)."""
    import re

    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    pieces = sorted({m.group() for t in texts for m in re.finditer(PIECE, t)})
    vocab = {t: i for i, t in enumerate(["<pad>", "</s>", "<unk>", *pieces])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Split(Regex(PIECE), behavior="isolated")
    backend.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>", eos_token="</s>",
                                        unk_token="<unk>")
    tokenizer.padding_side = "left"
    return tokenizer


def quick_model(steps: int, seed: int) -> tuple[Any, Any, list[tuple[str, str]]]:
    """A word-level GPT-2 trained for ``steps`` steps; returns it, its tokenizer and held-out functions."""
    from graphcode.models import GraphCodeConfig, GraphCodeModel

    torch.manual_seed(seed)
    functions = synthetic_functions(600, seed)
    tokenizer = piece_tokenizer([h + b for h, b in functions])
    backbone = {"model_type": "gpt2", "vocab_size": len(tokenizer), "n_embd": 64, "n_layer": 2, "n_head": 4,
                "n_positions": 512, "bos_token_id": 1, "eos_token_id": 1, "pad_token_id": 0}
    model = GraphCodeModel(GraphCodeConfig(backbone=backbone, graph=False), tokenizer=tokenizer)
    train, held_out = functions[:560], functions[560:]
    rows = [tokenizer(h + b, add_special_tokens=False)["input_ids"] + [1] for h, b in train]
    optimizer = torch.optim.AdamW(model.backbone.parameters(), lr=3e-3)
    rng = random.Random(seed)
    model.train()
    for _ in range(steps):
        batch = rng.sample(rows, 8)
        T = max(map(len, batch))
        ids = torch.zeros(len(batch), T, dtype=torch.long)  # (B, T)
        for b, row in enumerate(batch):
            ids[b, : len(row)] = torch.tensor(row)
        labels = ids.masked_fill(ids == 0, -100)
        loss = model.backbone(input_ids=ids, attention_mask=(ids != 0).long(), labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    return model, tokenizer, held_out


# ---------------------------------------------------------------------------------------- measuring


def batches_of(prompts: list[str], size: int) -> list[list[str]]:
    return [prompts[i : i + size] for i in range(0, len(prompts), size)]


def encode(model: Any, tokenizer: Any, prompts: list[str], settings: dict[str, Any], max_source_length: int) -> Any:
    from graphcode.data.collate import encode_sources

    options, prune = None, True
    if isinstance(settings.get("graph_options"), dict):
        from graphcode.data.features import GraphSettings

        graph_settings = GraphSettings(**settings["graph_options"])
        options, prune = graph_settings.options(), graph_settings.prune
    return encode_sources(prompts, settings.get("lang", "python"), tokenizer, max_source_length=max_source_length,
                          graph_options=options, graph=bool(model.config.graph), prune_graph=prune,
                          padding_side=None if model.is_encoder_decoder else "left")


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run_generation(model, tokenizer, batches, config, seed) -> tuple[list[list[Any]], Any]:
    torch.manual_seed(seed)
    candidates, stats = [], []
    for prompts, batch in batches:
        out = generate_candidates(model, tokenizer, batch, config, lang="python", prefixes=prompts)
        candidates += out.candidates
        stats.append(out.guided)
    return candidates, stats


def run_checks(prompts: list[str], candidates: list[list[Any]]) -> list[tuple[list[Any], Any]]:
    results = []
    for prompt, per_prompt in zip(prompts, candidates, strict=True):
        checked = [check_candidate(k, g.text, g.score, lang="python", prompt=prompt, task="completion")
                   for k, g in enumerate(per_prompt)]
        results.append((checked, select(checked, prompt=prompt, task="completion")))
    return results


def rates(results: list[tuple[list[Any], Any]]) -> dict[str, float]:
    from graphcode.generate.prefix import PrefixChecker, Viability

    candidates = [c for checked, _ in results for c in checked]
    checker = PrefixChecker("python")
    dead = [checker.check(c.checked_code.encode()).viability is Viability.DEAD for c in candidates]
    return {
        "candidates valid": sum(c.valid for c in candidates) / len(candidates),
        "candidates with a proven-fatal error": sum(dead) / len(candidates),
        "prompts valid": sum(s.status == "valid" for _, s in results) / len(results),
        "prompts valid or repaired": sum(s.status != "no_valid_candidate" for _, s in results) / len(results),
    }


def beam_vs_greedy(args: argparse.Namespace) -> int:
    """Beam 5 against greedy on the same source lines with one exported model, in one run: one output per line,
    no checking, so the times are decoding's; the lines are batched longest first, as ``graphcode test`` does (the issue's target: beam 5 on CodeXGLUE's 499 validation lines
    within 5 minutes on 2 cores)."""
    from graphcode.generate.loading import load_model, precision_context

    loaded = load_model(args.model)
    model, tokenizer, settings = loaded.model, loaded.tokenizer, loaded.settings
    lines = Path(args.beam_vs_greedy).read_text(encoding="utf-8").splitlines()
    prompts = lines[: args.lines] if args.lines else lines
    prompts = sorted(prompts, key=len, reverse=True)  # longest first, as graphcode test batches: least padding
    max_new = args.max_new_tokens or int(settings.get("max_target_length") or 256)
    max_source_length = int(settings.get("max_source_length") or 256)
    batches = [(p, encode(model, tokenizer, p, settings, max_source_length))
               for p in batches_of(prompts, args.batch_size)]
    run_generation(model, tokenizer, batches[:1], DecodingConfig(max_new_tokens=4), args.seed)  # warm-up
    cap = {"max_len_a": args.max_len_a, "max_len_b": args.max_len_b}
    greedy = DecodingConfig(max_new_tokens=max_new, **cap)
    beam = DecodingConfig(strategy="beam", num_beams=5, max_new_tokens=max_new, **cap)
    arms = [("greedy", greedy, False), ("beam 5", beam, False)]
    if args.reorder_baseline:
        arms.append(("beam 5, memory reordered", beam, True))
    times, texts = {}, {}
    for name, config, reorder in arms:
        start = time.perf_counter()
        with _memory_reordered(model, reorder), precision_context(model, args.precision):
            out, _ = run_generation(model, tokenizer, batches, config, args.seed)
        times[name] = time.perf_counter() - start
        texts[name] = [c[0].text for c in out]
    print(f"model: {args.model} (graph {'on' if model.config.graph else 'off'}); {len(prompts)} lines of "
          f"{args.beam_vs_greedy}, batch size {args.batch_size}, max_new_tokens {max_new}, "
          f"{'no length limit' if args.max_len_a is None else f'at most {args.max_len_a} x + {args.max_len_b}'}, "
          f"precision {args.precision}, torch threads {torch.get_num_threads()}")
    for name, seconds in times.items():
        print(f"{name:<8} {seconds:8.1f} s  {len(prompts) / seconds:6.2f} lines/s  "
              f"{seconds / times['greedy']:5.2f}x greedy")
    if args.reorder_baseline:
        same = texts["beam 5"] == texts["beam 5, memory reordered"]
        print(f"beam 5 outputs {'identical' if same else 'DIFFERENT'} with and without reordering the memory")
        return 0 if same else 1
    return 0


@contextlib.contextmanager
def _memory_reordered(model: Any, reorder: bool) -> Iterator[None]:
    """With ``reorder``: beam search with Hugging Face's own encoder-decoder cache, which copies the
    cross-attention states of the encoder memory at every step (the baseline of :mod:`graphcode.models.cache`)."""
    if not reorder:
        yield
        return
    from transformers import DynamicCache, EncoderDecoderCache

    generate = model.backbone.generate

    def with_hf_cache(*args: Any, **kwargs: Any) -> Any:
        kwargs["past_key_values"] = EncoderDecoderCache(DynamicCache(), DynamicCache())
        return generate(*args, **kwargs)

    model.backbone.generate = with_hf_cache
    try:
        yield
    finally:
        del model.backbone.generate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="auto", help="an exported model directory, 'quick', or 'auto' (default)")
    ap.add_argument("--prompts", type=int, default=24, help="number of prompts (default: 24)")
    ap.add_argument("--num-candidates", type=int, default=4, help="N, candidates per prompt (default: 4)")
    ap.add_argument("--strategies", default="beam,sample", help="comma-separated (default: beam,sample)")
    ap.add_argument("--max-new-tokens", type=int, default=0, help="0: 64 for an export, 96 for quick")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=5, help="time each measurement this many times (median)")
    ap.add_argument("--train-steps", type=int, default=300, help="quick model: training steps (default: 300)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--beam-vs-greedy", metavar="SOURCES",
                    help="instead: decode these source lines (one per line, e.g. CodeXGLUE's valid.java-cs.txt.java) "
                         "with --model greedy and with beam 5, one output each, and print both times")
    ap.add_argument("--precision", default="32", choices=PRECISIONS,
                    help="--beam-vs-greedy: as `graphcode generate --precision` (default: 32)")
    ap.add_argument("--lines", type=int, default=0, help="--beam-vs-greedy: the first this many lines (0: all)")
    ap.add_argument("--max-len-a", type=float, help="--beam-vs-greedy: as `graphcode generate --max-len-a` (default: "
                                                    "no length limit)")
    ap.add_argument("--max-len-b", type=int, default=0, help="--beam-vs-greedy: as `graphcode generate --max-len-b`")
    ap.add_argument("--reorder-baseline", action="store_true",
                    help="--beam-vs-greedy: also beam 5 with Hugging Face's own cache, which reorders the encoder "
                         "memory's attention states every step, and check that the outputs are the same")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    if args.beam_vs_greedy:
        return beam_vs_greedy(args)
    name = args.model
    if name == "auto":
        name = str(EXPORT) if (EXPORT / "graphcode_config.json").is_file() else "quick"
    start = time.perf_counter()
    if name == "quick":
        model, tokenizer, held_out = quick_model(args.train_steps, args.seed)
        prompts = [h for h, _ in held_out][: args.prompts]
        settings: dict[str, Any] = {"lang": "python"}
        what = f"quick: word-level GPT-2 (2 layers, width 64), trained {args.train_steps} steps here"
        max_new = args.max_new_tokens or 96
    else:
        from graphcode.generate.loading import load_model

        loaded = load_model(name)
        model, tokenizer, settings = loaded.model, loaded.tokenizer, loaded.settings
        if not RECORDS.is_file():
            print(f"bench_generate: expected the mined records {RECORDS} for prompts, found none", file=sys.stderr)
            return 2
        records = [json.loads(line) for line in RECORDS.read_text(encoding="utf-8").splitlines()]
        prompts = [r["source"] for r in records if r.get("split") == "test"][: args.prompts]
        what = f"{name} (trained export, {'encoder-decoder' if model.is_encoder_decoder else 'decoder-only'}, " \
               f"graph {'on' if model.config.graph else 'off'}), prompts from its mined test split"
        max_new = args.max_new_tokens or 64
    setup = time.perf_counter() - start
    max_source_length = int(settings.get("max_source_length") or 256)
    batches = [(p, encode(model, tokenizer, p, settings, max_source_length)) for p in batches_of(prompts, args.batch_size)]

    run_generation(model, tokenizer, batches[:1], DecodingConfig(max_new_tokens=4), args.seed)  # warm-up
    print(f"model: {what} (ready in {setup:.1f}s)")
    print(f"prompts: {len(prompts)} (completion: prompt + output is checked), N = {args.num_candidates}, "
          f"max_new_tokens = {max_new}, batch size {args.batch_size}, torch threads {torch.get_num_threads()}, "
          f"median of {args.repeats}")
    for strategy in [s.strip() for s in args.strategies.split(",") if s.strip()]:
        extra = {"top_k": 8} if strategy == "sample" else {}
        n = 1 if strategy == "greedy" else args.num_candidates
        plain = DecodingConfig(strategy=strategy, num_candidates=n, max_new_tokens=max_new, **extra)
        guided = DecodingConfig(strategy=strategy, num_candidates=n, max_new_tokens=max_new, guided=True, **extra)

        def generate_only(c: DecodingConfig = plain) -> Any:
            return run_generation(model, tokenizer, batches, c, args.seed)[0]

        def generate_and_check(c: DecodingConfig = plain) -> Any:
            return run_checks(prompts, run_generation(model, tokenizer, batches, c, args.seed)[0])

        def guided_and_check(c: DecodingConfig = guided) -> Any:
            cands, stats = run_generation(model, tokenizer, batches, c, args.seed)
            return run_checks(prompts, cands), stats

        # The three runs alternate within each repeat, so that a slower or faster spell of the machine
        # hits them alike; the medians are compared.
        generate_only()  # warm-up: the first run of a decoding mode pays one-time costs
        times: dict[str, list[float]] = {"gen": [], "check": [], "both": [], "guided": []}
        for _ in range(args.repeats):
            for key, fn in (("gen", generate_only), ("both", generate_and_check), ("guided", guided_and_check)):
                t, result = median_time(fn, 1)
                times[key].append(t)
                if key == "gen":
                    candidates = result
                    t_check, checked = median_time(lambda c=candidates: run_checks(prompts, c), 1)
                    times["check"].append(t_check)
                elif key == "guided":
                    guided_checked, stats = result
        t_gen, t_check, t_both, t_guided = (statistics.median(times[k]) for k in ("gen", "check", "both", "guided"))

        plain_rates, guided_rates = rates(checked), rates(guided_checked)
        checks = sum(s.checked for s in stats if s)
        masked = sum(s.masked for s in stats if s)
        dead = sum(s.dead_rows for s in stats if s)
        print(f"\n[{strategy}]")
        print(f"  generation alone                 {t_gen:8.2f} s")
        print(f"  post-hoc checking alone          {t_check:8.2f} s   ({1000 * t_check / (len(prompts) * n):.2f} ms per candidate)")
        print(f"  generation + post-hoc checking   {t_both:8.2f} s   ratio {t_both / t_gen:.3f}x "
              f"(from the parts: {(t_gen + t_check) / t_gen:.3f}x; target <= 1.1x)")
        print(f"  guided generation + checking     {t_guided:8.2f} s   ratio to unguided + checking "
              f"{t_guided / t_both:.2f}x   ({checks} tokens checked, {masked} masked, {dead} dead-row steps)")
        print(f"  {'share':<38} {'unguided+post-hoc':>18} {'guided':>10}")
        for key in plain_rates:
            print(f"  {key:<38} {plain_rates[key]:>18.1%} {guided_rates[key]:>10.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
