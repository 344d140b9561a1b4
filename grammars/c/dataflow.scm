; C control flow and assignments for graphcode's data-flow engine (see grammars/README.md); C++ inherits it.

; ---------------------------------------------------------------- assignments
; `x = v` writes x after v is evaluated (flow.assign); x is computed from v. Assigning through a pointer,
; an index or a field (`*p = v`, `a[i] = v`, `s.f = v`) writes no named variable and reads the base.
; `x += v` (every compound operator) reads x, then writes it.
(assignment_expression left: (identifier) @flow.write)
(assignment_expression left: (identifier) @flow.target right: (_) @flow.value)
; x is also computed from its previous value (a computed_from edge from x to itself).
(assignment_expression
  left: (identifier) @flow.read @flow.target @flow.value
  operator: ["+=" "-=" "*=" "/=" "%=" "&=" "|=" "^=" "<<=" ">>="])
(assignment_expression left: (identifier) right: (_) @_value) @flow.assign
; `x++`, `--x` (tree-sitter keeps at most three captures on one node of a pattern: hence two patterns)
(update_expression argument: (identifier) @flow.read @flow.write)
(update_expression argument: (identifier) @flow.target @flow.value)
; Its write happens at its own end: an enclosing assignment or initialiser does not move it out of a
; conditional arm (`x = c ? i++ : 0;` may leave i as it was).
(update_expression argument: (identifier)) @flow.assign
; A declaration's initialiser is evaluated before the variable is written (flow.assign): the name is in scope
; there, so `int x = x + 1;` reads the new, unwritten x (no edge, and none to an outer x).
(init_declarator declarator: (_) @flow.target value: (_) @flow.value)
(init_declarator declarator: (_) value: (_) @_value) @flow.assign

; ---------------------------------------------------------------- branches
(if_statement consequence: (_) @flow.arm) @flow.branch
(if_statement alternative: (else_clause (_) @flow.default))
(conditional_expression consequence: (_) @flow.arm alternative: (_) @flow.default) @flow.branch
(binary_expression operator: ["&&" "||"] right: (_) @flow.arm) @flow.branch
; A switch is a branch that `break` leaves; its cases run on into the next unless they break.
((switch_statement) @flow.branch
  (#set! flow.breakable "true")
  (#set! flow.fallthrough "true"))
((case_statement value: (_)) @flow.arm)
((case_statement . "default") @flow.default)

; ---------------------------------------------------------------- preprocessor conditionals
; `#if`/`#ifdef` ... `#elif` ... `#else` ... `#endif`: one branch is compiled, so they are alternatives. Their
; bodies are no nodes of their own: `flow.leading` makes a branch's code before its first arm (the directive's
; condition and body) an arm of its own; the alternative (`#else`, or an `#elif` chain) is its default arm.
((preproc_if) @flow.branch
  (#set! flow.leading "true"))
((preproc_elif) @flow.branch
  (#set! flow.leading "true"))
((preproc_ifdef) @flow.branch
  (#set! flow.leading "true"))
((preproc_elifdef) @flow.branch
  (#set! flow.leading "true"))
(preproc_if alternative: (_) @flow.default)
(preproc_elif alternative: (_) @flow.default)
(preproc_ifdef alternative: (_) @flow.default)
(preproc_elifdef alternative: (_) @flow.default)

; ---------------------------------------------------------------- loops
(while_statement) @flow.loop
((do_statement) @flow.loop
  (#set! flow.test "after"))
(for_statement) @flow.loop
(for_statement initializer: (_) @flow.once)
(for_statement update: (_) @flow.last)

; ---------------------------------------------------------------- deferred bodies and jumps
(function_definition) @flow.deferred
(return_statement) @flow.return
(break_statement) @flow.break
(continue_statement) @flow.continue
; `goto L` jumps to the statement labelled L, forwards or backwards.
(goto_statement label: (statement_identifier) @flow.jump.label) @flow.goto
(labeled_statement label: (statement_identifier) @flow.label)

; ---------------------------------------------------------------- statements (control-flow nodes)
[
  (expression_statement) (declaration) (if_statement) (while_statement) (do_statement) (for_statement)
  (switch_statement) (case_statement) (return_statement) (break_statement) (continue_statement)
  (goto_statement)
] @flow.statement
