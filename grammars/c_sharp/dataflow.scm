; C# control flow and assignments for graphcode's data-flow engine (see grammars/README.md).

; ---------------------------------------------------------------- assignments
; `x = v` writes x after v is evaluated (flow.assign); x is computed from v. A member or an index
; (`this.x = v`, `a[i] = v`) writes no variable. `x += v` (every compound operator) reads x, then writes it.
(assignment_expression left: (identifier) @flow.write)
(assignment_expression left: (identifier) @flow.target right: (_) @flow.value)
(assignment_expression
  left: (identifier) @flow.read @flow.target @flow.value
  operator: ["+=" "-=" "*=" "/=" "%=" "&=" "|=" "^=" "<<=" ">>=" ">>>=" "??="])
(assignment_expression left: (_) right: (_) @_value) @flow.assign
; `(a, b) = (b, a)` writes both after the right side is evaluated.
(assignment_expression left: (tuple_expression (argument (identifier) @flow.write)))
(assignment_expression left: (tuple_expression) @flow.target right: (_) @flow.value)
; `x++`, `--x` (tree-sitter keeps at most three captures on one node of a pattern: hence two patterns)
(postfix_unary_expression (identifier) @flow.read @flow.write . ["++" "--"])
(postfix_unary_expression (identifier) @flow.target @flow.value . ["++" "--"])
(prefix_unary_expression ["++" "--"] . (identifier) @flow.read @flow.write)
(prefix_unary_expression ["++" "--"] . (identifier) @flow.target @flow.value)
; `F(out x)` writes x; `F(ref x)` reads and writes it; `F(in x)` reads it.
(argument "out" (identifier) @flow.write)
(argument "ref" (identifier) @flow.read @flow.write)
; A declaration's initialiser is evaluated before the variable exists; deconstruction is computed from its value.
(variable_declarator name: (identifier) @flow.target (_) @flow.value)
(variable_declarator (tuple_pattern) @flow.target (_) @flow.value)
(foreach_statement left: (_) @flow.target right: (_) @flow.value)
(is_pattern_expression expression: (_) @flow.value pattern: (_) @flow.target)

; ---------------------------------------------------------------- branches
(if_statement consequence: (_) @flow.arm) @flow.branch
(if_statement alternative: (_) @flow.default)
(conditional_expression consequence: (_) @flow.arm alternative: (_) @flow.default) @flow.branch
(binary_expression operator: ["&&" "||" "??"] right: (_) @flow.arm) @flow.branch
; A switch is a branch that `break` leaves; a section does not fall through into the next.
((switch_statement) @flow.branch
  (#set! flow.breakable "true"))
((switch_section . "case") @flow.arm)
((switch_section . "default") @flow.default)
((switch_expression) @flow.branch
  (#set! flow.cases "true"))
(switch_expression_arm) @flow.arm

; ---------------------------------------------------------------- preprocessor conditionals
; `#if`/`#ifdef` ... `#elif` ... `#else` ... `#endif`: one branch is compiled, so they are alternatives. Their
; bodies are no nodes of their own: `flow.leading` makes a branch's code before its first arm (the directive's
; condition and body) an arm of its own; the alternative (`#else`, or an `#elif` chain) is its default arm.
((preproc_if) @flow.branch
  (#set! flow.leading "true"))
((preproc_elif) @flow.branch
  (#set! flow.leading "true"))
(preproc_if alternative: (_) @flow.default)
(preproc_elif alternative: (_) @flow.default)

; ---------------------------------------------------------------- loops
(while_statement) @flow.loop
((do_statement) @flow.loop
  (#set! flow.test "after"))
(for_statement) @flow.loop
(for_statement initializer: (_) @flow.once)
(for_statement update: (_) @flow.last)
(foreach_statement) @flow.loop
(foreach_statement right: (_) @flow.once)

; ---------------------------------------------------------------- exceptions
(try_statement) @flow.try
(catch_clause) @flow.handler
(finally_clause) @flow.finally

; ---------------------------------------------------------------- deferred bodies and jumps
(method_declaration) @flow.deferred
(constructor_declaration) @flow.deferred
(local_function_statement) @flow.deferred
(lambda_expression) @flow.deferred
(anonymous_method_expression) @flow.deferred
(accessor_declaration) @flow.deferred
(return_statement) @flow.return
(throw_statement) @flow.return
(break_statement) @flow.break
(continue_statement) @flow.continue
(goto_statement (identifier) @flow.jump.label) @flow.goto
(labeled_statement (identifier) @flow.label)

; ---------------------------------------------------------------- statements (control-flow nodes)
[
  (expression_statement) (local_declaration_statement) (if_statement) (while_statement) (do_statement)
  (for_statement) (foreach_statement) (switch_statement) (switch_section) (return_statement) (throw_statement)
  (break_statement) (continue_statement) (goto_statement) (try_statement) (catch_clause) (using_statement)
  (local_function_statement) (yield_statement) (lock_statement)
] @flow.statement
