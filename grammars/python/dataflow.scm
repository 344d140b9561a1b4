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

; ---------------------------------------------------------------- branches
(if_statement consequence: (_) @flow.arm) @flow.branch
(elif_clause consequence: (_) @flow.arm)
(if_statement alternative: (else_clause body: (_) @flow.default))
(conditional_expression . (_) @flow.arm . "if" . (_) . "else" . (_) @flow.default .) @flow.branch
(boolean_operator right: (_) @flow.arm) @flow.branch
(match_statement) @flow.branch
(case_clause consequence: (_) @flow.arm)

; ---------------------------------------------------------------- loops
(while_statement) @flow.loop
(for_statement right: (_) @flow.once) @flow.loop
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
