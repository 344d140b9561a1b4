; Rust control flow and assignments for graphcode's data-flow engine (see grammars/README.md).

; ---------------------------------------------------------------- assignments
; `x = v` writes x after v is evaluated (flow.assign); x is computed from v. Assigning through a field, an
; index or a dereference (`s.f = v`, `a[i] = v`, `*r = v`) writes no variable; `&mut x` reads x.
(assignment_expression left: (identifier) @flow.write)
(assignment_expression left: (identifier) @flow.target right: (_) @flow.value)
(assignment_expression left: (identifier) right: (_) @_value) @flow.assign
; `x += v` reads x, then writes it; x is also computed from its previous value.
(compound_assignment_expr left: (identifier) @flow.read @flow.target @flow.value)
(compound_assignment_expr left: (identifier) @flow.write)
(compound_assignment_expr left: (identifier) @flow.target right: (_) @flow.value)
; `let p = v`: the bindings happen after v is evaluated (a shadowing `let x = x + 1` reads the old x).
(let_declaration pattern: (_) @flow.target value: (_) @flow.value)
(let_declaration pattern: (_) value: (_) @_value) @flow.assign
(let_condition pattern: (_) @flow.target value: (_) @flow.value)
(let_condition pattern: (_) value: (_) @_value) @flow.assign
(for_expression pattern: (_) @flow.target value: (_) @flow.value)

; quote!'s `#x` interpolates the variable x: a read, also where locals.scm takes it for a path segment (`#ty::#name`).
(token_tree "#" @_interpolation . (identifier) @flow.read)

; ---------------------------------------------------------------- branches
(if_expression consequence: (_) @flow.arm) @flow.branch
(if_expression alternative: (else_clause (_) @flow.default))
(binary_expression operator: ["&&" "||"] right: (_) @flow.arm) @flow.branch
; A match is exhaustive: its last arm is the default.
((match_expression) @flow.branch
  (#set! flow.cases "true"))
(match_block (match_arm) @flow.arm . (match_arm))
(match_block (match_arm) @flow.default .)
; `e?` returns early when e is an error: a branch whose one arm returns.
(try_expression) @flow.branch
(try_expression "?" @flow.arm)
(try_expression "?" @flow.return)

; ---------------------------------------------------------------- loops
; `loop` has no test: only a break (or return) leaves it
((loop_expression) @flow.loop
  (#set! flow.test "none"))
(while_expression) @flow.loop
(for_expression) @flow.loop
(for_expression value: (_) @flow.once)
; Labels: `break 'outer` and `continue 'outer` jump to the loop the label names.
(loop_expression (label) @flow.label)
(while_expression (label) @flow.label)
(for_expression (label) @flow.label)
(break_expression (label) @flow.jump.label)
(continue_expression (label) @flow.jump.label)

; ---------------------------------------------------------------- deferred bodies and jumps
(function_item) @flow.deferred
(closure_expression) @flow.deferred
(return_expression) @flow.return
(break_expression) @flow.break
(continue_expression) @flow.continue

; ---------------------------------------------------------------- statements (control-flow nodes)
[
  (expression_statement) (let_declaration) (match_arm)
] @flow.statement
; A block's tail expression (its value) is a statement too.
((block (_) @flow.statement .)
  (#not-match? @flow.statement "^/[/*]"))
