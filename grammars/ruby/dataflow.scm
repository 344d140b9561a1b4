; Ruby control flow and assignments for graphcode's data-flow engine (see grammars/README.md).

; ---------------------------------------------------------------- assignments
; `x = v` and `a, *b = list` write after the value is evaluated; the targets are computed from the value.
(assignment left: (_) @flow.target right: (_) @flow.value)
(assignment left: (_) right: (_) @_value) @flow.assign
; `x += v` and `x ||= v` read x, then write it (a `||=` that keeps x is counted as writing it back).
(operator_assignment left: (identifier) @flow.read @flow.target @flow.value)
(operator_assignment left: (identifier) @flow.target right: (_) @flow.value)
(operator_assignment left: (identifier) right: (_) @_value) @flow.assign
(for pattern: (_) @flow.target value: (_) @flow.value)

; ---------------------------------------------------------------- branches
; `if`/`elsif`/`else` and `unless`; the modifier forms (`x = 1 if c`) run their body after the condition,
; which is written after it: the body is the branch's arm.
(if consequence: (_) @flow.arm) @flow.branch
(elsif consequence: (_) @flow.arm)
(if alternative: (else) @flow.default)
(elsif alternative: (else) @flow.default)
(unless consequence: (_) @flow.arm) @flow.branch
(unless alternative: (else) @flow.default)
(if_modifier body: (_) @flow.arm) @flow.branch
(unless_modifier body: (_) @flow.arm) @flow.branch
(conditional consequence: (_) @flow.arm alternative: (_) @flow.default) @flow.branch
(binary operator: ["&&" "||" "and" "or"] right: (_) @flow.arm) @flow.branch
((case) @flow.branch
  (#set! flow.cases "true"))
(when) @flow.arm
(case (else) @flow.default)

; ---------------------------------------------------------------- loops
(while) @flow.loop
(until) @flow.loop
(while_modifier) @flow.loop
(until_modifier) @flow.loop
(for) @flow.loop
(for value: (_) @flow.once)

; ---------------------------------------------------------------- exceptions
; A method body or a `begin` with `rescue` or `ensure` is a try.
((body_statement (rescue)) @flow.try)
((body_statement (ensure)) @flow.try)
((begin) @flow.try)
(rescue) @flow.handler
(ensure) @flow.finally

; ---------------------------------------------------------------- deferred bodies and jumps
(method) @flow.deferred
(singleton_method) @flow.deferred
(block) @flow.deferred
(do_block) @flow.deferred
(lambda) @flow.deferred
(return) @flow.return
(break) @flow.break
(next) @flow.continue

; ---------------------------------------------------------------- statements (control-flow nodes)
((program (_) @flow.statement) (#not-match? @flow.statement "^#"))
((body_statement (_) @flow.statement) (#not-match? @flow.statement "^#"))
((block_body (_) @flow.statement) (#not-match? @flow.statement "^#"))
((then (_) @flow.statement) (#not-match? @flow.statement "^#"))
((else (_) @flow.statement) (#not-match? @flow.statement "^#"))
((do (_) @flow.statement) (#not-match? @flow.statement "^#"))
((begin (_) @flow.statement) (#not-match? @flow.statement "^#"))
((ensure (_) @flow.statement) (#not-match? @flow.statement "^#"))
(elsif) @flow.statement
(when) @flow.statement
