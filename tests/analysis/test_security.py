"""Security rules as data (grammars/<lang>/security.scm): each family in each language, positive and negative,
the data-flow confidence, malformed rule files, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from graphcode.analysis import analyze, security_rules
from graphcode.errors import ConfigError
from graphcode.graphs import languages

# (language, family, code that must give the rule, code of the same family that must give nothing)
TABLE = [
    ("python", "py-code-exec", "def f(s):\n    eval(s)\n", "def f(s):\n    ast.literal_eval(s)\n"),
    ("python", "py-os-command", "def f(n):\n    os.system('rm ' + n)\n", "def f(n):\n    os.remove(n)\n"),
    ("python", "py-subprocess-shell", "def f(c):\n    subprocess.run(c, shell=True)\n",
     "def f(c):\n    subprocess.run([c], shell=False)\n"),
    ("python", "py-unsafe-deserialization", "def f(b):\n    return pickle.loads(b)\n",
     "def f(b):\n    return json.loads(b)\n"),
    ("python", "py-yaml-load", "def f(t):\n    return yaml.load(t)\n",
     "def f(t):\n    return yaml.load(t, Loader=yaml.SafeLoader)\n"),
    ("python", "py-sql-string", "def f(c, u):\n    c.execute('SELECT * FROM t WHERE u = %s' % u)\n",
     "def f(c, u):\n    c.execute('SELECT * FROM t WHERE u = %s', (u,))\n"),
    ("python", "py-weak-hash", "h = hashlib.md5(data)\n", "h = hashlib.md5(data, usedforsecurity=False)\n"),
    ("python", "py-hardcoded-credential", "password = 'hunter2'\n", "password = os.environ['PASSWORD']\n"),
    ("python", "py-tls-unverified", "requests.get(url, verify=False)\n", "requests.get(url, verify=True)\n"),
    ("python", "py-insecure-tempfile", "name = tempfile.mktemp()\n", "fd, name = tempfile.mkstemp()\n"),
    ("java", "java-script-eval", "class A { void f(ScriptEngine e, String s) { e.eval(s); } }",
     "class A { void f(ScriptEngine e, String s) { e.put(\"s\", s); } }"),
    ("java", "java-runtime-exec", "class A { void f(String c) { Runtime.getRuntime().exec(c); } }",
     "class A { void f(String c) { Runtime.getRuntime().gc(); } }"),
    ("java", "java-unsafe-deserialization",
     "class A { Object f(InputStream i) { return new ObjectInputStream(i).readObject(); } }",
     "class A { Object f(InputStream i) { return new DataInputStream(i).readInt(); } }"),
    ("java", "java-sql-string", "class A { void f(Statement s, String u) { s.executeQuery(\"SELECT \" + u); } }",
     "class A { void f(PreparedStatement s, String u) { s.setString(1, u); s.executeQuery(); } }"),
    ("java", "java-weak-hash", "class A { void f() { MessageDigest.getInstance(\"MD5\"); } }",
     "class A { void f() { MessageDigest.getInstance(\"SHA-256\"); } }"),
    ("java", "java-hardcoded-credential", "class A { String password = \"hunter2\"; }",
     "class A { String password = System.getenv(\"PASSWORD\"); }"),
    ("java", "java-tls-unverified", "class A { Object v = NoopHostnameVerifier.INSTANCE; }",
     "class A { Object v = DefaultHostnameVerifier.INSTANCE; }"),
    ("java", "java-insecure-tempfile", "class A { File f = new File(\"/tmp/app.lock\"); }",
     "class A { File f = File.createTempFile(\"app\", \".lock\"); }"),
    ("javascript", "js-code-exec", "function f(s) { return eval(s); }", "function f(s) { return JSON.parse(s); }"),
    ("javascript", "js-command-exec", "function f(n) { child_process.exec(`ls ${n}`); }",
     "function f(n) { child_process.execFile('ls', [n]); }"),
    ("javascript", "js-unsafe-deserialization", "function f(b) { return serialize.unserialize(b); }",
     "function f(b) { return JSON.parse(b); }"),
    ("javascript", "js-sql-string", "function f(db, u) { db.query('SELECT * FROM t WHERE u = ' + u); }",
     "function f(db, u) { db.query('SELECT * FROM t WHERE u = ?', [u]); }"),
    ("javascript", "js-weak-hash", "const h = crypto.createHash('md5');", "const h = crypto.createHash('sha256');"),
    ("javascript", "js-hardcoded-credential", "const apiKey = 'sk-123456';", "const apiKey = process.env.API_KEY;"),
    ("javascript", "js-tls-unverified", "https.request({ host: h, rejectUnauthorized: false });",
     "https.request({ host: h, rejectUnauthorized: true });"),
    ("javascript", "js-insecure-tempfile", "fs.writeFileSync('/tmp/app.pid', pid);",
     "fs.writeFileSync(path.join(os.tmpdir(), name), pid);"),
    ("go", "go-command-shell", "package m\nfunc f(c string) { exec.Command(\"sh\", \"-c\", c).Run() }\n",
     "package m\nfunc f(c string) { exec.Command(\"ls\", c).Run() }\n"),
    ("go", "go-command-exec", "package m\nfunc f(name string) { exec.Command(name).Run() }\n",
     "package m\nfunc f(name string) { exec.Command(\"ls\", name).Run() }\n"),
    ("go", "go-sql-string", "package m\nfunc f(db *sql.DB, u string) { db.Query(\"SELECT * FROM t WHERE u = \" + u) }\n",
     "package m\nfunc f(db *sql.DB, u string) { db.Query(\"SELECT * FROM t WHERE u = ?\", u) }\n"),
    ("go", "go-weak-hash", "package m\nfunc f(b []byte) { md5.Sum(b) }\n",
     "package m\nfunc f(b []byte) { sha256.Sum256(b) }\n"),
    ("go", "go-hardcoded-credential", "package m\nfunc f() { password := \"hunter2\"; use(password) }\n",
     "package m\nfunc f() { password := os.Getenv(\"PASSWORD\"); use(password) }\n"),
    ("go", "go-tls-unverified", "package m\nvar c = &tls.Config{InsecureSkipVerify: true}\n",
     "package m\nvar c = &tls.Config{MinVersion: tls.VersionTLS12}\n"),
    ("go", "go-insecure-tempfile", "package m\nfunc f() { os.Create(\"/tmp/app.pid\") }\n",
     "package m\nfunc f() { os.CreateTemp(\"\", \"app\") }\n"),
    ("c", "c-gets", "void f(void) { char b[8]; gets(b); }", "void f(void) { char b[8]; fgets(b, 8, stdin); }"),
    ("c", "c-unbounded-copy", "void f(const char *s) { char b[8]; strcpy(b, s); }",
     "void f(const char *s) { char b[8]; snprintf(b, sizeof b, \"%s\", s); }"),
    ("c", "c-system", "void f(const char *c) { system(c); }", "void f(const char *c) { puts(c); }"),
    ("c", "c-weak-hash", "void f(const unsigned char *d, size_t n, unsigned char *o) { MD5(d, n, o); }",
     "void f(const unsigned char *d, size_t n, unsigned char *o) { SHA256(d, n, o); }"),
    ("c", "c-hardcoded-credential", "const char *password = \"hunter2\";", "const char *password = getenv(\"P\");"),
    ("c", "c-tls-unverified", "void f(SSL_CTX *c) { SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL); }",
     "void f(SSL_CTX *c) { SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL); }"),
    ("c", "c-insecure-tempfile", "void f(void) { char *n = tmpnam(NULL); }", "void f(void) { int fd = mkstemp(t); }"),
]


def _rules(code: str, lang: str) -> set[str]:
    report = analyze(code, lang, semantic=False, security=True)
    assert "security" in report.checks
    return {f.code for f in report.findings}


@pytest.mark.parametrize(("lang", "rule", "bad", "good"), TABLE, ids=[f"{t[0]}-{t[1]}" for t in TABLE])
def test_security_rule(lang: str, rule: str, bad: str, good: str) -> None:
    assert rule in _rules(bad, lang), f"{rule} did not fire on: {bad}"
    assert not {r for r in _rules(good, lang) if r.split("-", 1)[1] == rule.split("-", 1)[1]}, \
        f"{rule}: fired on the safe variant: {good}"


def test_every_rule_of_every_language_has_a_row() -> None:
    for lang in ("python", "java", "javascript", "go", "c"):
        assert {r.rule for r in security_rules(lang).rules} == {rule for lg, rule, _, _ in TABLE if lg == lang}
    assert {r.rule for r in security_rules("typescript").rules} == {r.rule for r in security_rules("javascript").rules}


def test_confidence_follows_the_data_flow() -> None:
    code = textwrap.dedent("""
        import os
        def run(cmd):
            line = "ls " + cmd
            os.system(line)
            fixed = "ls /"
            os.system(fixed)
            os.system(os.environ["CMD"])
    """)
    findings = [f for f in analyze(code, "python", semantic=False, security=True).findings if f.code == "py-os-command"]
    assert [(f.line, f.confidence) for f in findings] == [(5, "high"), (7, "low"), (8, "medium")]
    assert "computed from parameter 'cmd'" in findings[0].message and findings[0].cwe == "CWE-78"
    assert findings[0].severity == "error"


def test_a_language_without_security_rules_says_so() -> None:
    report = analyze("<?php $x = 1;\n", "php", semantic=False, security=True)
    assert report.checks == () and not report.findings


@pytest.mark.parametrize(("text", "expected"), [
    ('((identifier) @security (#set! rule "x") (#set! cwe "CWE-1") (#set! severity "high"))',
     r"pattern 0 \(rule x\): expected #set! message"),
    ('((identifier) @security (#set! rule "x") (#set! cwe "CWE-1") (#set! severity "huge") (#set! message "m"))',
     r"severity: expected one of high, medium, low, found 'huge'"),
    ("((identifier) @security", "expected valid tree-sitter query patterns"),
])
def test_a_malformed_rule_file_names_the_file_the_rule_and_the_error(text, expected, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "python"
    folder.mkdir()
    (folder / "security.scm").write_text(text + "\n", encoding="utf-8")
    spec = languages.get_spec("python")
    fake = type(spec)(**{**spec.__dict__, "folder": folder})
    monkeypatch.setattr("graphcode.analysis.security.get_spec", lambda lang: fake)
    security_rules.cache_clear()
    try:
        with pytest.raises(ConfigError, match=expected) as info:
            security_rules("python")
        assert str(folder / "security.scm") in str(info.value)
    finally:
        monkeypatch.undo()
        security_rules.cache_clear()


def test_check_security_on_the_command_line(tmp_path) -> None:
    app = tmp_path / "app.py"
    app.write_text("import os\ndef f(c):\n    os.system(c)  # run it\n    eval(c)  # graphcode: ignore[py-code-exec]\n",
                   encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "graphcode", "check", "--security", "--format", "sarif", str(app)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 1
    run = json.loads(out.stdout)["runs"][0]
    (result,) = run["results"]
    assert result["ruleId"] == "py-os-command" and result["properties"] == {"cwe": "CWE-78", "confidence": "high"}
    assert "CWE-78" in run["tool"]["driver"]["rules"][result["ruleIndex"]]["shortDescription"]["text"]
