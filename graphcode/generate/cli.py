"""``graphcode generate``: generate code with a trained model and check every candidate.

    graphcode generate --model runs/tiny/export --lang python "def add(a, b):" --strategy beam --num-candidates 4
    graphcode generate --model runs/tiny/export --prompts-file prompts.jsonl --out results.jsonl --guided

Each prompt gives one JSON line (to ``--out``, written atomically, or standard output) with every
candidate, its verdict (``valid``), its errors (line, column, message), its model score and any
repair, and the choice: ``status`` is ``valid`` (the best-scoring valid candidate), ``repaired`` (none
was valid; the best-scoring candidate a named repair fixed, original kept) or ``no_valid_candidate``
(``chosen``, ``code`` and ``output`` are null). Candidates are checked in the *target* language
(``--target-lang``, default ``--lang``). For ``--task completion`` the checked code is the prompt
followed by the candidate; ``output`` is the completion alone and ``code`` the whole.

Exit status: 0 every prompt got valid (or repaired) code; 1 some prompt has no valid candidate;
3 bad prompts file; 4 unknown language; 5 output not writable; 6 bad option; 7 bad model.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from graphcode.errors import ConfigError, InputError
from graphcode.generate.loading import PRECISIONS
from graphcode.generate.prompts import Prompt


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("prompts", nargs="*", metavar="PROMPT", help="prompts (code or text to start from)")
    p.add_argument("--model", required=True,
                   help="an exported model directory (graphcode_config.json, backbone/, tokenizer/) or a Lightning .ckpt")
    p.add_argument("--tokenizer", help="a tokenizer folder, for a .ckpt that does not name its tokenizer")
    p.add_argument("--allow-pickle", action="store_true",
                   help="load a .ckpt that needs pickle: it can run any code its author put in it (default: weights "
                        "only)")
    p.add_argument("--prompts-file", help="one prompt per line, or JSONL with source/prompt and optional id, lang, "
                                          "target_lang; '-' reads standard input")
    p.add_argument("--lang", help="language of the prompts (default: the model's graphcode_data.json)")
    p.add_argument("--target-lang", help="language of the generated code, checked by the syntax checker "
                                         "(default: the model's target language, else --lang)")
    p.add_argument("--task", choices=("generate", "completion"), default=None,
                   help="generate: check the output alone; completion: check prompt + output (default: what the "
                        "model was trained for, from its graphcode_data.json; else generate)")
    p.add_argument("--fragment", choices=("file", "member", "block", "expression"), default=None,
                   help="what the generated code is, for the checker: a whole file, a class member (a method or "
                        "constructor without its class), statements or an expression (default: the model's "
                        "graphcode_data.json, else file)")
    d = p.add_argument_group("decoding")
    d.add_argument("--strategy", choices=("greedy", "beam", "sample"), default="greedy", help="(default: greedy)")
    d.add_argument("--num-candidates", type=int, default=1, help="candidates per prompt (default: 1)")
    d.add_argument("--num-beams", type=int, help="beam width for --strategy beam (default: --num-candidates)")
    d.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (default: 1.0)")
    d.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (default: 1.0)")
    d.add_argument("--top-k", type=int, default=0, help="sample from the k most likely tokens, 0: all (default: 0)")
    d.add_argument("--seed", type=int, help="random seed, set once before generating (sampling)")
    d.add_argument("--max-new-tokens", type=int,
                   help="most tokens per candidate (default: the model's max_target_length, else 128)")
    d.add_argument("--max-len-a", type=float,
                   help="with --max-len-b: at most A * x + B tokens for a prompt of x tokens (fairseq's rule; "
                        "a translation is about as long as its source), within --max-new-tokens (default: no limit)")
    d.add_argument("--max-len-b", type=int, default=0, help="see --max-len-a (default: 0)")
    d.add_argument("--no-repeat-ngram-size", type=int, default=0, metavar="N",
                   help="never generate an N-gram of tokens twice in one candidate (default: 0, no such rule)")
    d.add_argument("--repetition-penalty", type=float, default=1.0,
                   help="penalise tokens already in the candidate (CTRL's penalty; default: 1.0, none)")
    d.add_argument("--length-penalty", type=float, default=1.0,
                   help="beam search ranks hypotheses by log-probability / length ** P: above 1 favours longer "
                        "candidates (default: 1.0, the mean per token)")
    d.add_argument("--guided", action="store_true",
                   help="syntax-guided decoding: mask tokens that make the code unrepairable, and ending on invalid code")
    d.add_argument("--guided-max-checks", type=int, default=32, help="guided: tokens checked per row and step (default: 32)")
    r = p.add_argument_group("running")
    r.add_argument("--batch-size", type=int, default=8, help="prompts per batch (default: 8)")
    r.add_argument("--max-source-length", type=int,
                   help="truncate prompts to this many tokens (default: the model's, else 512)")
    r.add_argument("--device", default="auto", help="cpu, cuda, cuda:1, ... (default: cuda when available)")
    r.add_argument("--precision", default="32", choices=PRECISIONS,
                   help="as Lightning's trainer.precision: 32 (float32), or bf16-mixed / 16-mixed (autocast: faster "
                        "on recent CPUs and GPUs; the weights stay float32) (default: 32)")
    r.add_argument("--no-compiler", action="store_true", help="tree-sitter only: skip the language's compiler check")
    r.add_argument("--no-repair", action="store_true", help="do not try repairs of invalid candidates")
    r.add_argument("--reject", metavar="POLICY",
                   help="analyse valid candidates and never choose one with such findings: semantic[:error|warning|note],"
                        "security[:high|medium|low], comma-separated (e.g. semantic,security:high); each candidate's "
                        "findings are recorded")
    r.add_argument("--out", help="write the JSONL here, atomically (default: standard output)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")


def _positive(name: str, value: int | None, minimum: int = 1) -> None:
    if value is not None and value < minimum:
        raise ConfigError(f"{name}: expected an integer >= {minimum}, found {value}")


def _languages(prompts: Sequence[Prompt], args: argparse.Namespace, settings: dict[str, Any]) -> list[Prompt]:
    from graphcode.graphs.languages import get_spec

    resolved = []
    for prompt in prompts:
        lang = prompt.lang or args.lang or settings.get("lang")
        if not lang:
            raise InputError(
                f"prompt {prompt.id}: expected a language (--lang, the record's 'lang', or the model's "
                f"graphcode_data.json), found none"
            )
        target = prompt.target_lang or args.target_lang or settings.get("target_lang") or lang
        resolved.append(Prompt(prompt.id, prompt.source, get_spec(lang).name, get_spec(target).name))
    return resolved


def _batches(prompts: Sequence[Prompt], size: int) -> Iterator[list[int]]:
    """Indices of prompts, in batches of one (lang, target_lang) pair each, in order of first appearance."""
    groups: dict[tuple[str | None, str | None], list[int]] = {}
    for i, prompt in enumerate(prompts):
        groups.setdefault((prompt.lang, prompt.target_lang), []).append(i)
    for indices in groups.values():
        for start in range(0, len(indices), size):
            yield indices[start : start + size]


def _device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def run(args: argparse.Namespace) -> int:
    from graphcode.generate.decoding import DecodingConfig
    from graphcode.generate.prompts import read_prompts

    _positive("--batch-size", args.batch_size)
    _positive("--max-source-length", args.max_source_length)
    from graphcode.analysis import RejectPolicy

    try:
        args.reject_policy = RejectPolicy.parse(args.reject)
    except ValueError as err:
        raise ConfigError(str(err)) from err
    # Options are checked before the (slow) model loading; the token limit may come from the model.
    decoding = DecodingConfig(
        strategy=args.strategy,
        num_candidates=args.num_candidates,
        num_beams=args.num_beams,
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        max_new_tokens=args.max_new_tokens if args.max_new_tokens is not None else 128,
        max_len_a=args.max_len_a,
        max_len_b=args.max_len_b,
        no_repeat_ngram_size=args.no_repeat_ngram_size,
        repetition_penalty=args.repetition_penalty,
        length_penalty=args.length_penalty,
        guided=args.guided,
        guided_max_checks=args.guided_max_checks,
    )
    prompts = read_prompts(args.prompts, args.prompts_file)

    from graphcode.generate.loading import load_model, precision_context

    loaded = load_model(args.model, tokenizer=args.tokenizer, device=_device(args.device),
                        allow_pickle=args.allow_pickle)
    settings = loaded.settings
    if args.task is None:
        args.task = settings.get("check") or "generate"
    if args.fragment is None:
        args.fragment = settings.get("fragment") or "file"
    if args.guided and args.fragment != "file":
        raise ConfigError(f"--guided: expected whole files (--fragment file), found --fragment {args.fragment}: guided "
                          "decoding proves prefixes dead as files; check fragments after decoding instead")
    prompts = _languages(prompts, args, settings)
    if args.max_new_tokens is None and settings.get("max_target_length"):
        decoding = dataclasses.replace(decoding, max_new_tokens=int(settings["max_target_length"]))
    if args.seed is not None:
        from transformers import set_seed

        set_seed(args.seed)
    max_source_length = args.max_source_length or int(settings.get("max_source_length") or 512)

    import contextlib

    from graphcode.io import AtomicWriter

    records: list[dict[str, Any] | None] = [None] * len(prompts)
    batches = list(_batches(prompts, args.batch_size))
    # The output file is opened (as a temporary file beside it) first: an unwritable --out fails before
    # any work, and an interrupted run leaves the old file as it was.
    with AtomicWriter(args.out) if args.out else contextlib.nullcontext(sys.stdout) as out:
        progress = _progress(len(batches), disable=args.no_progress)
        try:
            with precision_context(loaded.model, args.precision):
                _run_batches(loaded, prompts, batches, decoding, args, max_source_length, records, progress)
        finally:
            progress.close()
        out.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        out.flush()
    counts = {s: sum(1 for r in records if r and r["status"] == s) for s in ("valid", "repaired", "no_valid_candidate")}
    print(f"graphcode generate: {len(records)} prompts: {counts['valid']} valid, {counts['repaired']} repaired, "
          f"{counts['no_valid_candidate']} with no valid candidate", file=sys.stderr)
    return 1 if counts["no_valid_candidate"] else 0


def _run_batches(loaded: Any, prompts: list[Prompt], batches: list[list[int]], decoding: Any,
                 args: argparse.Namespace, max_source_length: int, records: list[Any], progress: Any) -> None:
    from graphcode.generate.candidates import check_candidate, select

    policy = getattr(args, "reject_policy", None)
    for indices in batches:
        group = [prompts[i] for i in indices]
        results = _generate_batch(loaded, group, decoding, args.task, max_source_length,
                                  compiler=not args.no_compiler)
        for i, prompt, generated in zip(indices, group, results, strict=True):
            checked = [
                check_candidate(k, g.text, g.score, lang=prompt.target_lang or "", prompt=prompt.source,
                                task=args.task, compiler=not args.no_compiler, repair=not args.no_repair,
                                fragment=args.fragment, reject=policy)
                for k, g in enumerate(generated)
            ]
            choice = select(checked, prompt=prompt.source, task=args.task)
            records[i] = _record(prompt, args.task, checked, choice)
        progress.update(1)


def _progress(total: int, disable: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="batch", desc="generate", file=sys.stderr, disable=True if disable else None)


def _generate_batch(loaded: Any, group: list[Prompt], decoding: Any, task: str, max_source_length: int,
                    *, compiler: bool) -> list[list[Any]]:
    from graphcode.data.collate import encode_sources
    from graphcode.generate.decoding import generate_candidates

    model, tokenizer, settings = loaded.model, loaded.tokenizer, loaded.settings
    options, prune = None, True
    if isinstance(settings.get("graph_options"), dict):
        from graphcode.data.features import GraphSettings

        graph_settings = GraphSettings(**settings["graph_options"])
        options, prune = graph_settings.options(), graph_settings.prune
    batch = encode_sources(
        [p.source for p in group],
        group[0].lang or "",
        tokenizer,
        max_source_length=max_source_length,
        graph_options=options,
        graph=bool(model.config.graph),
        prune_graph=prune,
        padding_side=None if model.is_encoder_decoder else "left",
    )
    device = next(model.parameters()).device
    output = generate_candidates(
        model, tokenizer, batch.to(device), decoding,
        lang=group[0].target_lang,
        prefixes=[p.source for p in group] if task == "completion" else None,
        compiler=compiler,
    )
    return output.candidates


def _record(prompt: Prompt, task: str, checked: list[Any], choice: Any) -> dict[str, Any]:
    return {
        "id": prompt.id,
        "lang": prompt.lang,
        "target_lang": prompt.target_lang,
        "task": task,
        "checked": "prompt+output" if task == "completion" else "output",
        "prompt": prompt.source,
        "status": choice.status,
        "chosen": choice.chosen,
        "repair": choice.repair,
        "output": choice.output,
        "code": choice.code,
        "candidates": [c.to_dict() for c in checked],
    }
