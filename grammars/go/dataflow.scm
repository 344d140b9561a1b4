; Go control flow and assignments for graphcode's data-flow engine (see grammars/README.md).

; ---------------------------------------------------------------- assignments
; `x = v` and `a, b = b, a` write existing variables after the values are evaluated (flow.assign);
; each target is computed from the values. Assigning through a selector, index or pointer writes no
; variable. `x += v` (every compound operator) reads x, then writes it.
((assignment_statement left: (expression_list (identifier) @flow.write))
  (#not-eq? @flow.write "_"))
; x is also computed from its previous value (a computed_from edge from x to itself).
(assignment_statement left: (expression_list (identifier) @flow.read @flow.target @flow.value)
  operator: ["+=" "-=" "*=" "/=" "%=" "&=" "|=" "^=" "<<=" ">>=" "&^="])
(assignment_statement left: (_) @flow.target right: (_) @flow.value)
; `x, err := f(x)` may re-use x: its new value is written after f(x) reads the old one.
(short_var_declaration left: (_) @flow.target right: (_) @flow.value)
; Writes in the assignment's own scope happen after its value is evaluated.
(assignment_statement left: (expression_list (identifier)) right: (_) @_value) @flow.assign
(short_var_declaration right: (_) @_value) @flow.assign
; `x++`, `x--`
; (tree-sitter keeps at most three captures on one node of a pattern: hence two patterns each)
(inc_statement (identifier) @flow.read @flow.write)
(inc_statement (identifier) @flow.target @flow.value)
(dec_statement (identifier) @flow.read @flow.write)
(dec_statement (identifier) @flow.target @flow.value)

; Other declarations: the new names are computed from their initialisers.
(var_spec name: (_) @flow.target value: (_) @flow.value)
(const_spec name: (_) @flow.target value: (_) @flow.value)
; ... and written after them (`var x = x + 1` in an inner block reads the outer x).
(var_spec value: (_) @_value) @flow.assign
(const_spec value: (_) @_value) @flow.assign
; Range variables are computed from what they range over; `for k, v = range m` writes existing ones.
(range_clause left: (_) @flow.target right: (_) @flow.value)
((range_clause left: (expression_list (identifier) @flow.write) "=")
  (#not-eq? @flow.write "_"))
(receive_statement left: (_) @flow.target right: (_) @flow.value)
((receive_statement left: (expression_list (identifier) @flow.write) "=")
  (#not-eq? @flow.write "_"))
(type_switch_statement alias: (_) @flow.target value: (_) @flow.value)

; ---------------------------------------------------------------- branches
(if_statement consequence: (_) @flow.arm) @flow.branch
(if_statement alternative: (_) @flow.default)
(binary_expression operator: ["&&" "||"] right: (_) @flow.arm) @flow.branch
; Switches and selects are branches that `break` leaves; each case is an arm and `default` makes them
; exhaustive. `fallthrough` into the next case is not modelled.
((expression_switch_statement) @flow.branch
  (#set! flow.breakable "true"))
((type_switch_statement) @flow.branch
  (#set! flow.breakable "true"))
(expression_case) @flow.arm
(type_case) @flow.arm
(default_case) @flow.default
; A select runs exactly one of its cases: its last case completes the alternatives.
((select_statement) @flow.branch
  (#set! flow.breakable "true"))
(select_statement (communication_case) @flow.arm . (_))
(select_statement (communication_case) @flow.default .)

; ---------------------------------------------------------------- loops
(for_statement) @flow.loop
(for_clause initializer: (_) @flow.once)
(for_clause update: (_) @flow.last)
(range_clause right: (_) @flow.once)

; ---------------------------------------------------------------- deferred bodies and jumps
; Function, method and function-literal bodies run when called, not where they are written.
(function_declaration) @flow.deferred
(method_declaration) @flow.deferred
(func_literal) @flow.deferred
(return_statement) @flow.return
(break_statement) @flow.break
(continue_statement) @flow.continue

; ---------------------------------------------------------------- statements (control-flow nodes)
; The nodes of the cfg_* edges. A compound statement stands for its test (`if`, `for`, a case) or its
; entry (`switch`, `select`); a function is its own entry and exit. A `defer` is a statement where it is
; registered (its call runs at the function's exit, which the edges do not show).
[
  (expression_statement) (send_statement) (receive_statement) (inc_statement) (dec_statement)
  (assignment_statement) (short_var_declaration) (var_declaration) (const_declaration) (type_declaration)
  (return_statement) (go_statement) (defer_statement) (if_statement) (for_statement)
  (expression_switch_statement) (type_switch_statement) (select_statement) (expression_case) (type_case)
  (default_case) (communication_case) (break_statement) (continue_statement) (goto_statement)
  (fallthrough_statement) (empty_statement)
] @flow.statement

; Labels: `break outer` and `continue outer` jump to the loop (or switch) the label names.
(labeled_statement label: (label_name) @flow.label)
(break_statement (label_name) @flow.jump.label)
(continue_statement (label_name) @flow.jump.label)
