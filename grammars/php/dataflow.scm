; PHP control flow and assignments for graphcode's data-flow engine (see grammars/README.md).

; ---------------------------------------------------------------- assignments
; `$x = v`, `$a = &$b`, `[$a, $b] = v` write after the value is evaluated; the targets are computed from it.
; A member or an element (`$this->p = v`, `$a[] = v`) writes no variable.
(assignment_expression left: (_) @flow.target right: (_) @flow.value)
(assignment_expression left: (_) right: (_) @_value) @flow.assign
(reference_assignment_expression left: (_) @flow.target right: (_) @flow.value)
(reference_assignment_expression left: (_) right: (_) @_value) @flow.assign
; `$x += v`, `$x .= v`, `$x ??= v` read $x, then write it.
(augmented_assignment_expression left: (variable_name) @flow.read @flow.target @flow.value)
(augmented_assignment_expression left: (variable_name) @flow.write)
(augmented_assignment_expression left: (variable_name) @flow.target right: (_) @flow.value)
; `$x++`, `--$x` (tree-sitter keeps at most three captures on one node of a pattern: hence two patterns)
(update_expression argument: (variable_name) @flow.read @flow.write)
(update_expression argument: (variable_name) @flow.target @flow.value)
(foreach_statement . (_) @flow.value (_) @flow.target)
(static_variable_declaration name: (_) @flow.target value: (_) @flow.value)

; ---------------------------------------------------------------- branches
(if_statement body: (_) @flow.arm) @flow.branch
(else_if_clause body: (_) @flow.arm)
(else_clause body: (_) @flow.default)
(conditional_expression body: (_) @flow.arm alternative: (_) @flow.default) @flow.branch
(binary_expression operator: ["&&" "||" "and" "or" "??"] right: (_) @flow.arm) @flow.branch
; A switch is a branch that `break` leaves; its cases run on into the next unless they break.
((switch_statement) @flow.branch
  (#set! flow.breakable "true")
  (#set! flow.fallthrough "true"))
(case_statement) @flow.arm
(default_statement) @flow.default
((match_expression) @flow.branch
  (#set! flow.cases "true"))
(match_conditional_expression) @flow.arm
(match_default_expression) @flow.default

; ---------------------------------------------------------------- loops
(while_statement) @flow.loop
((do_statement) @flow.loop
  (#set! flow.test "after"))
(for_statement) @flow.loop
(for_statement initialize: (_) @flow.once)
(for_statement update: (_) @flow.last)
(foreach_statement) @flow.loop
(foreach_statement . (_) @flow.once)

; ---------------------------------------------------------------- exceptions
(try_statement) @flow.try
(catch_clause) @flow.handler
(finally_clause) @flow.finally

; ---------------------------------------------------------------- deferred bodies and jumps
(function_definition) @flow.deferred
(method_declaration) @flow.deferred
(anonymous_function) @flow.deferred
; An arrow function captures the variables it uses by value when it is made: its reads of them see what
; reaches that point (flow.capture "value"), not every definition.
((arrow_function) @flow.deferred
  (#set! flow.capture "value"))
(return_statement) @flow.return
(throw_expression) @flow.return
(break_statement) @flow.break
(continue_statement) @flow.continue

; ---------------------------------------------------------------- statements (control-flow nodes)
[
  (expression_statement) (if_statement) (else_if_clause) (while_statement) (do_statement) (for_statement)
  (foreach_statement) (switch_statement) (case_statement) (default_statement) (return_statement)
  (break_statement) (continue_statement) (try_statement) (catch_clause) (global_declaration)
  (function_static_declaration) (echo_statement) (unset_statement)
] @flow.statement
