; Python control flow and assignments for graphcode's data-flow engine (see grammars/README.md).

; ---------------------------------------------------------------- assignments
; Writes in @flow.target happen after @flow.value is evaluated; targets are computed from values.
(assignment left: (_) @flow.target right: (_) @flow.value) @flow.assign
(named_expression name: (_) @flow.target value: (_) @flow.value) @flow.assign
; `x += y` reads x, then writes it: x is computed from x and y.
(augmented_assignment left: (_) @flow.target @flow.value right: (_) @flow.value) @flow.assign
(augmented_assignment left: (identifier) @flow.read)
; Loop and with targets are computed from what they iterate or enter.
(for_statement left: (_) @flow.target right: (_) @flow.value)
(for_in_clause left: (_) @flow.target right: (_) @flow.value)
(as_pattern (_) @flow.value alias: (as_pattern_target) @flow.target)

; `del x` unbinds x (after reading its binding); an `except E as e` handler unbinds e when it ends.
(delete_statement (identifier) @flow.unbind)
(delete_statement (expression_list (identifier) @flow.unbind))
(delete_statement (tuple (identifier) @flow.unbind))
(delete_statement (parenthesized_expression (identifier) @flow.unbind))
(except_clause (as_pattern alias: (as_pattern_target (identifier) @flow.unbind)))

; ---------------------------------------------------------------- branches
(if_statement consequence: (_) @flow.arm) @flow.branch
(elif_clause consequence: (_) @flow.arm)
(if_statement alternative: (else_clause body: (_) @flow.default))
(conditional_expression . (_) @flow.arm . "if" . (_) . "else" . (_) @flow.default .) @flow.branch
(boolean_operator right: (_) @flow.arm) @flow.branch
; a match enters its cases unlabelled (a case tests its own pattern)
((match_statement) @flow.branch
  (#set! flow.cases "true"))
(case_clause consequence: (_) @flow.arm)

; ---------------------------------------------------------------- loops
(while_statement) @flow.loop
(for_statement right: (_) @flow.once) @flow.loop
; A loop's `else` runs when its test fails (not after a break), once.
(while_statement alternative: (else_clause) @flow.loop.else)
(for_statement alternative: (else_clause) @flow.loop.else)
; A comprehension: its first iterable is evaluated once, its element at the end of each iteration.
(list_comprehension body: (_) @flow.last . (for_in_clause right: (_) @flow.once)) @flow.loop
(set_comprehension body: (_) @flow.last . (for_in_clause right: (_) @flow.once)) @flow.loop
(generator_expression body: (_) @flow.last . (for_in_clause right: (_) @flow.once)) @flow.loop
(dictionary_comprehension body: (_) @flow.last . (for_in_clause right: (_) @flow.once)) @flow.loop

; ---------------------------------------------------------------- exceptions
(try_statement) @flow.try
(except_clause) @flow.handler
(finally_clause) @flow.finally

; ---------------------------------------------------------------- deferred bodies and jumps
; A function or lambda body runs when called, not where it is defined.
(function_definition) @flow.deferred
(lambda) @flow.deferred
(return_statement) @flow.return
(raise_statement) @flow.return
(break_statement) @flow.break
(continue_statement) @flow.continue

; ---------------------------------------------------------------- statements (control-flow nodes)
; The nodes of the cfg_* edges. A compound statement stands for its test (`if`, `while`, `for`, `elif`,
; `except`, `case`) or its entry (`try`, `with`); a function's or class's definition for the binding.
[
  (expression_statement) (return_statement) (pass_statement) (break_statement) (continue_statement)
  (raise_statement) (assert_statement) (delete_statement) (global_statement) (nonlocal_statement)
  (import_statement) (import_from_statement) (future_import_statement) (print_statement) (exec_statement)
  (type_alias_statement) (if_statement) (elif_clause) (for_statement) (while_statement) (try_statement)
  (except_clause) (with_statement) (match_statement) (case_clause) (function_definition) (class_definition)
] @flow.statement
