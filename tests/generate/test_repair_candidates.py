"""Repairs and the choice among candidates: invalid code is never marked valid."""

from __future__ import annotations

import pytest

from graphcode.check import check_syntax
from graphcode.generate.candidates import check_candidate, select
from graphcode.generate.repair import TRUNCATE, truncate_repair


def test_truncate_cuts_trailing_junk_back_to_a_valid_prefix():
    code = "def f(x):\n    return x + 1\n\ndef g(y):\n    return (y\n"
    fix = truncate_repair(code, "python")
    assert fix is not None and fix.name == TRUNCATE
    assert fix.code == "def f(x):\n    return x + 1\n\n"
    assert fix.code + fix.removed == code
    assert check_syntax(fix.code, "python").valid


def test_truncate_cuts_at_the_end_of_a_top_level_node():
    fix = truncate_repair("int f() { return 1; } int g( {", "c")
    assert fix is not None and fix.code == "int f() { return 1; }"


def test_truncate_keeps_the_prompt_and_some_generated_code():
    prompt = "def f(x):\n"
    assert truncate_repair(prompt + "    return x\n    ))\n", "python", keep=len(prompt)).code == (
        prompt + "    return x\n"
    )
    # cutting back into the prompt, or to blank output, is no repair
    assert truncate_repair(prompt + "    )\n", "python", keep=len(prompt)) is None
    assert truncate_repair("x = 1\n)))", "python", keep=len("x = 1\n")) is None


def test_truncate_gives_up_when_no_cut_point_works():
    assert truncate_repair("x = (1,\n", "python") is None
    assert truncate_repair("a = 1\nb = )\n" + "c = 2\n" * 30 + "d = (", "python", max_trials=5) is None


def test_check_candidate_verdicts_and_positions():
    ok = check_candidate(0, "x = 1\n", -0.5, lang="python")
    assert ok.valid and ok.errors == () and ok.repair is None
    bad = check_candidate(1, "x = 1\ny = (\n", -0.1, lang="python")
    assert not bad.valid and bad.errors and bad.repair is not None and bad.repair.code == "x = 1\n"
    assert {"line", "column", "message"} <= set(bad.to_dict()["errors"][0])
    # a completion is checked with its prompt: errors are positioned in prompt + completion
    done = check_candidate(0, "    return x\n", 0.0, lang="python", prompt="def f(x):\n", task="completion")
    assert done.valid and done.checked_code == "def f(x):\n    return x\n"
    alone = check_candidate(0, "    return x\n", 0.0, lang="python", prompt="def f(x):\n")
    assert not alone.valid  # task generate: the output alone, an unexpected indent
    broken = check_candidate(0, "    return )\n", 0.0, lang="python", prompt="def f(x):\n", task="completion",
                             repair=False)
    assert not broken.valid and broken.errors[0].line == 2


def test_blank_output_is_never_valid():
    for text in ["", "  \n"]:
        c = check_candidate(0, text, 0.0, lang="python")
        assert not c.valid and "empty output" in c.errors[0].message


def test_python_compiler_errors_count_unless_switched_off():
    assert not check_candidate(0, "return 1\n", 0.0, lang="python", repair=False).valid
    assert check_candidate(0, "return 1\n", 0.0, lang="python", compiler=False).valid


def test_select_prefers_valid_then_repaired_by_score():
    valid_low = check_candidate(0, "x = 1\n", -3.0, lang="python")
    invalid_high = check_candidate(1, "x = (\n", -0.1, lang="python", repair=False)
    repairable = check_candidate(2, "x = 2\ny = (\n", -0.2, lang="python")
    valid_high = check_candidate(3, "z = 3\n", -1.0, lang="python")

    s = select([valid_low, invalid_high, repairable, valid_high])
    assert (s.status, s.chosen, s.code, s.repair) == ("valid", 3, "z = 3\n", None)
    s = select([invalid_high, repairable])
    assert (s.status, s.chosen, s.code, s.output, s.repair) == ("repaired", 2, "x = 2\n", "x = 2\n", "truncate")
    s = select([invalid_high])
    assert (s.status, s.chosen, s.code, s.output) == ("no_valid_candidate", None, None, None)
    assert select([]).status == "no_valid_candidate"


def test_select_a_repaired_completion_outputs_the_completion_alone():
    prompt = "def f(x):\n"
    c = check_candidate(0, "    return x\n    )\n", 0.0, lang="python", prompt=prompt, task="completion")
    s = select([c], prompt=prompt, task="completion")
    assert s.status == "repaired" and s.code == prompt + "    return x\n" and s.output == "    return x\n"


@pytest.mark.parametrize("text", ["x = (\n", "def f(:\n", "return 1\n", "x = 1\n)"])
def test_invalid_code_is_never_marked_valid(text):
    c = check_candidate(0, text, 0.0, lang="python")
    s = select([c])
    assert not c.valid and s.status != "valid"
    if s.status == "repaired":
        assert check_syntax(s.code, "python").valid and s.code != text


def test_unknown_task():
    with pytest.raises(ValueError, match="task: expected one of generate, completion"):
        check_candidate(0, "x", 0.0, lang="python", task="translate")


def test_an_infinite_score_is_null_in_json():
    import json

    c = check_candidate(0, "x = 1\n", float("-inf"), lang="python")
    assert json.loads(json.dumps(c.to_dict(), allow_nan=False))["score"] is None


def test_a_reject_policy_analyses_valid_candidates_and_skips_those_it_rejects():
    from graphcode.analysis import RejectPolicy

    policy = RejectPolicy.parse("semantic,security:high")
    unsafe = check_candidate(0, "import os\ndef f(c):\n    os.system(c)\n", -0.1, lang="python", reject=policy)
    undefined = check_candidate(1, "def f():\n    return missing\n", -0.2, lang="python", reject=policy)
    unused = check_candidate(2, "def f():\n    z = 1\n    return 0\n", -0.5, lang="python", reject=policy)
    assert unsafe.rejected and [f.code for f in unsafe.findings] == ["py-os-command"]
    assert undefined.rejected and undefined.findings[0].code == "undefined-name"
    assert not unused.rejected and unused.findings[0].code == "unused-variable"  # a warning: recorded, not rejected
    assert unsafe.to_dict()["rejected"] is True and unsafe.to_dict()["findings"][0]["cwe"] == "CWE-78"
    s = select([unsafe, undefined, unused])
    assert (s.status, s.chosen) == ("valid", 2)  # the best-scoring candidate that is not rejected
    assert select([unsafe, undefined]).status == "no_valid_candidate"
    # without a policy nothing is analysed and the best valid candidate wins
    plain = check_candidate(0, "import os\ndef f(c):\n    os.system(c)\n", -0.1, lang="python")
    assert plain.findings == () and not plain.rejected and select([plain]).chosen == 0
    # a member fragment is analysed in its wrapper, with positions in the candidate
    member = check_candidate(0, "public int f(int a) {\n  return a + q;\n}", 0.0, lang="java", fragment="member",
                             reject=RejectPolicy.parse("semantic:warning"))
    assert member.findings == () and not member.rejected  # Java leaves free names to other files


@pytest.mark.parametrize("text", ["semantic:fatal", "security:extreme", "style"])
def test_a_malformed_reject_policy_says_what_it_expected(text):
    from graphcode.analysis import RejectPolicy

    with pytest.raises(ValueError, match=r"--reject: expected semantic\[:error\|warning\|note\] or security"):
        RejectPolicy.parse(text)
