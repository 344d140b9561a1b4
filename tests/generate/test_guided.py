"""The syntax-guided LogitsProcessor on a hand-built vocabulary of Python pieces (see conftest.py)."""

from __future__ import annotations

import pytest
import torch

from graphcode.errors import UnknownLanguageError
from graphcode.generate.guided import SyntaxGuidedLogitsProcessor
from graphcode.generate.prefix import Viability

from .tiny import EOS, ID, PAD, PIECES, UNK, ids

V = len(PIECES)
TEXT_PIECES = {p for p in PIECES if not p.startswith("<")}


def _masked(tokenizer, context: list[int], **kwargs) -> set[str]:
    """The pieces set to -inf after ``context`` when every token is checked (special tokens aside)."""
    kwargs = {"num_viable": V, "max_checks": V, "mask_special": False, **kwargs}
    processor = SyntaxGuidedLogitsProcessor(tokenizer, "python", **kwargs)
    scores = processor(torch.tensor([context]), torch.zeros(1, V))
    return {PIECES[i] for i in range(V) if scores[0, i] == float("-inf")}


@pytest.mark.parametrize(
    ("context", "masked"),
    [
        # unfinished: only ending is forbidden
        (ids("def", " f", "(", " x"), {"<eos>"}),
        # "):" would give "def f( x)):", broken for good; ")" alone is only caught a token later
        (ids("def", " f", "(", " x", ")"), {"<eos>", "):"}),
        # the second ")" is settled by whatever follows it: every piece that adds text is masked
        (ids("def", " f", "(", " x", ")", ")"), {"<eos>"} | TEXT_PIECES),
        # a whole function: ending is allowed, and only "):" (a ")" opening a line) is fatal
        (ids("def", " f", "(", " x", "):", "\n", "    ", "return", " x", "+", "1", "\n"), {"):"}),
        # "x=1 1" can still become "x=1 11"
        (ids("x", "=", "1", " ", "1"), {"<eos>"} | (TEXT_PIECES - {"1"})),
        # nothing generated yet: an empty program is valid, but not an answer
        ([], {"<eos>", "):"}),
    ],
)
def test_exactly_these_tokens_are_masked(tokenizer, context, masked):
    assert _masked(tokenizer, context) == masked


def test_special_tokens_are_masked_unless_asked_not_to(tokenizer):
    context = ids("def", " f", "(", " x", ")", ")")
    # they add no text, so they cannot break the code; but a model emitting them stalls
    assert not {"<pad>", "<unk>"} & _masked(tokenizer, context)
    assert {"<pad>", "<unk>"} <= _masked(tokenizer, context, mask_special=True)
    assert "<pad>" in _masked(tokenizer, ids("x", "=", "1"), mask_special=True)


def test_empty_output_may_end_when_allowed(tokenizer):
    assert "<eos>" not in _masked(tokenizer, [], allow_empty=True)


def test_a_valid_program_is_never_pruned(tokenizer):
    program = ids("def", " f", "(", " x", "):", "\n", "    ", "return", " x", "+", "1", "\n", "x", "=", "1", "\n")
    processor = SyntaxGuidedLogitsProcessor(tokenizer, "python", num_viable=V, max_checks=V)
    for i in range(len(program) + 1):
        scores = processor(torch.tensor([program[:i]]), torch.zeros(1, V))
        if i < len(program):
            assert scores[0, program[i]] == 0, (i, PIECES[program[i]])
        else:
            assert scores[0, EOS] == 0  # the whole program may end
        assert processor.verdict(program[:i]) is not Viability.DEAD


def test_checks_stop_after_num_viable_tokens(tokenizer):
    # scores rank ")" first, then "):" then ":"; after "def f( x)" the best is fine, so nothing is masked
    scores = torch.full((1, V), -5.0)
    scores[0, ID[")"]], scores[0, ID["):"]], scores[0, ID[":"]] = 3.0, 2.0, 1.0
    context = torch.tensor([ids("def", " f", "(", " x", ")")])
    processor = SyntaxGuidedLogitsProcessor(tokenizer, "python", mask_special=False)  # num_viable=1
    out = processor(context, scores.clone())
    expected = scores.clone()
    expected[0, EOS] = float("-inf")  # end-of-sequence is judged whatever its rank: "def f( x)" cannot end
    assert torch.equal(out, expected) and processor.stats.checked == 1
    # with the bad piece on top, it is masked and checking goes on to the next one
    scores[0, ID["):"]] = 4.0
    processor = SyntaxGuidedLogitsProcessor(tokenizer, "python", mask_special=False)
    out = processor(context, scores.clone())
    assert out[0, ID["):"]] == float("-inf") and out[0, ID[")"]] == 3.0
    assert processor.stats.checked == 2 and processor.stats.masked == 2  # "):" and end-of-sequence


def test_max_checks_bounds_the_work(tokenizer):
    processor = SyntaxGuidedLogitsProcessor(tokenizer, "python", num_viable=3, max_checks=3, mask_special=False)
    out = processor(torch.tensor([ids("def", " f", "(", " x", ")", ")")]), torch.arange(V, dtype=torch.float).unsqueeze(0))
    assert processor.stats.checked == 3
    # the three best were checked and masked, and end-of-sequence (always judged); the rest left alone
    assert (out[0] == float("-inf")).sum() == 4 and out[0, EOS] == float("-inf")


@pytest.mark.parametrize("strategy", ["beam", "sample"])
def test_eos_ranked_below_the_checked_tokens_is_still_judged(tokenizer, strategy):
    """Beam search keeps several continuations per beam and sampling draws from the whole distribution: a low-ranked
    end-of-sequence must not end a row on invalid code."""
    unfinished = ids("def", " f", "(", " x")
    finished = ids("def", " f", "(", " x", "):", "\n", "    ", "return", " x", "\n")
    scores = torch.full((2, V), -1.0)
    scores[:, ID[")"]], scores[:, ID["+"]] = 5.0, 4.0  # ranked above end-of-sequence, which stays at -1
    rows = torch.tensor([[PAD] * (len(finished) - len(unfinished)) + unfinished, finished])
    processor = SyntaxGuidedLogitsProcessor(tokenizer, "python", num_viable=1, max_checks=2, mask_special=False,
                                            skip_tokens=0)
    out = processor(rows, scores.clone())
    assert EOS not in [int(t) for t in torch.topk(scores[0], 2).indices]  # never among the checked tokens
    assert out[0, EOS] == float("-inf"), "unfinished code cannot end, whatever the rank of end-of-sequence"
    assert out[1, EOS] == -1.0, "a whole valid program may end"
    generator = torch.Generator().manual_seed(0)
    probs = torch.softmax(out, dim=-1)
    picks = torch.multinomial(probs, 200, replacement=True, generator=generator) if strategy == "sample" else \
        torch.topk(out, V, dim=-1).indices  # every continuation a wide beam could keep
    assert EOS not in picks[0].tolist() or (strategy == "beam" and out[0, EOS] == float("-inf"))


@pytest.mark.parametrize(("dead_rows", "finite"), [("eos", {EOS}), ("drop", set())])
def test_a_dead_row_keeps_only_eos_or_nothing(tokenizer, dead_rows, finite):
    processor = SyntaxGuidedLogitsProcessor(tokenizer, "python", dead_rows=dead_rows)
    context = torch.tensor([ids("def", " f", "(", " x", ")", "):")])  # "def f( x)):" is dead
    out = processor(context, torch.zeros(1, V))
    assert {i for i in range(V) if out[0, i] > float("-inf")} == finite
    assert processor.stats.dead_rows == 1


def test_finished_rows_and_unguided_prompts_are_left_alone(tokenizer):
    processor = SyntaxGuidedLogitsProcessor(tokenizer, "python", prefix=["def f(x)) :", ""])
    rows = torch.tensor([ids(")", ")"), ids(")", ")"), ids("x", "<eos>"), ids(")", ")")])
    scores = torch.zeros(4, V)
    out = processor(rows, scores.clone())
    assert torch.equal(out[:3], scores[:3])  # prompt 0's prefix is dead already; row 2 has finished
    assert processor.unguided_prompts == {0}
    assert out[3, ID["x"]] == float("-inf")  # prompt 1: "))x" is dead


def test_prefix_per_prompt_and_skip_tokens(tokenizer):
    # an encoder-decoder row starts with the decoder start token (here <pad>), skipped
    processor = SyntaxGuidedLogitsProcessor(tokenizer, "python", prefix=["def f(", "x = ("], skip_tokens=1)
    rows = torch.tensor([[PAD, ID["x"], ID[")"]]] * 4)
    scores = torch.zeros(4, V)
    scores[:, EOS] = 1.0  # ending is each row's favourite
    out = processor(rows, scores)
    # prompt 0: "def f(x)" needs a body; prompt 1: "x = (x)" is a whole program
    assert out[0, EOS] == out[1, EOS] == float("-inf")
    assert out[2, EOS] == out[3, EOS] == 1.0
    with pytest.raises(ValueError, match=r"multiple of the number of prefixes \(2\)"):
        processor(torch.tensor([[PAD]] * 3), torch.zeros(3, V))


def test_completion_eos_needs_the_compiler_check(tokenizer):
    # "return x" outside a function parses (tree-sitter) but does not compile
    processor = SyntaxGuidedLogitsProcessor(tokenizer, "python", num_viable=V, max_checks=V)
    out = processor(torch.tensor([ids("return", " x", "\n")]), torch.zeros(1, V))
    assert out[0, EOS] == float("-inf")
    processor = SyntaxGuidedLogitsProcessor(tokenizer, "python", compiler=False, num_viable=V, max_checks=V)
    out = processor(torch.tensor([ids("return", " x", "\n")]), torch.zeros(1, V))
    assert out[0, EOS] == 0


def test_each_step_costs_one_parse_per_new_token(tokenizer):
    processor = SyntaxGuidedLogitsProcessor(tokenizer, "python")
    program = ids("def", " f", "(", " x", "):", "\n", "    ", "return", " x", "\n")
    scores = torch.zeros(1, V)
    for i in range(len(program)):
        scores = torch.zeros(1, V)
        scores[0, program[i]] = 1.0  # the model's favourite is the program's next token
        processor(torch.tensor([program[:i]]), scores)
    # the root, then one new child per step (its parent was checked the step before)
    assert processor.checker.num_parses <= len(program) + 2


def test_a_token_that_decodes_to_nothing_keeps_the_verdict(tokenizer):
    processor = SyntaxGuidedLogitsProcessor(tokenizer, "python", mask_special=False)
    processor(torch.tensor([[*ids("def", " f", "(", " x", ")", ")"), UNK]]), torch.zeros(1, V))
    assert processor.verdict([*ids("def", " f", "(", " x", ")", ")"), UNK]) is Viability.OPEN
    assert processor.verdict([*ids("def", " f", "(", " x", ")", ")", ":"), UNK]) is Viability.DEAD


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_viable": 0}, "`num_viable` has to be an integer >= 1"),
        ({"max_checks": 0}, "`max_checks` has to be an integer >= 1"),
        ({"num_viable": 5, "max_checks": 2}, r"`num_viable` has to be <= `max_checks` \(2\)"),
        ({"skip_tokens": -1}, "`skip_tokens` has to be an integer >= 0"),
        ({"dead_rows": "keep"}, "`dead_rows` has to be 'eos' or 'drop'"),
        ({"prefix": 3}, "`prefix` has to be a string or a non-empty sequence of strings"),
        ({"prefix": []}, "`prefix` has to be a string or a non-empty sequence of strings"),
        ({"eos_token_id": -1}, "`eos_token_id` has to be a non-negative integer"),
        ({"cache_size": True}, "`cache_size` has to be an integer >= 1"),
    ],
)
def test_arguments_are_validated(tokenizer, kwargs, message):
    with pytest.raises(ValueError, match=message):
        SyntaxGuidedLogitsProcessor(tokenizer, "python", **kwargs)


def test_bad_tokenizer_and_language(tokenizer):
    with pytest.raises(ValueError, match="`tokenizer` has to be a tokenizer with a decode"):
        SyntaxGuidedLogitsProcessor(object(), "python")
    with pytest.raises(UnknownLanguageError):
        SyntaxGuidedLogitsProcessor(tokenizer, "klingon")
