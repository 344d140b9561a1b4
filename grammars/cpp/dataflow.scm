; inherits: c
; C++ control flow and assignments: C's (grammars/c/dataflow.scm), plus range-for, lambdas, try/catch and
; throw.

; ---------------------------------------------------------------- assignments
(for_range_loop declarator: (_) @flow.target right: (_) @flow.value)
; A declaration in a condition: `if (auto p = get())`
(condition_clause (declaration declarator: (_) @flow.target value: (_) @flow.value))

; ---------------------------------------------------------------- loops
(for_range_loop) @flow.loop
(for_range_loop right: (_) @flow.once)

; ---------------------------------------------------------------- exceptions
(try_statement) @flow.try
(catch_clause) @flow.handler

; ---------------------------------------------------------------- deferred bodies and jumps
; A lambda's body runs when it is called; its captures are read where it is made.
(lambda_expression) @flow.deferred
(throw_statement) @flow.return

; ---------------------------------------------------------------- statements (control-flow nodes)
[
  (for_range_loop) (try_statement) (catch_clause) (throw_statement)
] @flow.statement
