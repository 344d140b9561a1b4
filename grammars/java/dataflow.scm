; Java control flow and assignments for graphcode's data-flow engine (see grammars/README.md).

; ---------------------------------------------------------------- assignments
; `x = v` writes an existing variable after v is evaluated (flow.assign); x is computed from v.
; `x += v` (and every compound operator) reads x, then writes it.
(assignment_expression left: (identifier) @flow.write)
(assignment_expression left: (identifier) @flow.target right: (_) @flow.value)
; x is also computed from its previous value (a computed_from edge from x to itself).
(assignment_expression
  left: (identifier) @flow.read @flow.target @flow.value
  operator: ["+=" "-=" "*=" "/=" "%=" "&=" "|=" "^=" "<<=" ">>=" ">>>="])
; Writes in the assignment's own scope happen after its value is evaluated.
(assignment_expression left: (identifier) right: (_) @_value) @flow.assign
; `x++`, `--x`: a read, then a write, of the same variable.
; (tree-sitter keeps at most three captures on one node of a pattern: hence two patterns)
(update_expression (identifier) @flow.read @flow.write)
(update_expression (identifier) @flow.target @flow.value)

; A declaration's initialiser is evaluated before the variable exists; a local cannot be read in its
; own initialiser, so no flow.assign is needed. Loop variables are computed from what they iterate.
(variable_declarator name: (_) @flow.target value: (_) @flow.value)
(enhanced_for_statement name: (_) @flow.target value: (_) @flow.value)
(resource name: (_) @flow.target value: (_) @flow.value)

; ---------------------------------------------------------------- branches
(if_statement consequence: (_) @flow.arm) @flow.branch
(if_statement alternative: (_) @flow.default)
(ternary_expression consequence: (_) @flow.arm alternative: (_) @flow.default) @flow.branch
(binary_expression operator: ["&&" "||"] right: (_) @flow.arm) @flow.branch

; A switch is a branch that `break` (and `yield`) leaves; each case group or rule is an arm, and the
; `default` one makes them exhaustive. A case group runs on into the next unless it breaks (fall-through);
; a rule (`case 1 ->`) does not.
((switch_expression body: (switch_block . (switch_block_statement_group))) @flow.branch
  (#set! flow.breakable "true")
  (#set! flow.fallthrough "true"))
((switch_expression body: (switch_block . (switch_rule))) @flow.branch
  (#set! flow.breakable "true"))
((switch_block_statement_group . (switch_label) @_label) @flow.arm
  (#not-eq? @_label "default"))
((switch_block_statement_group . (switch_label) @_label) @flow.default
  (#eq? @_label "default"))
((switch_rule . (switch_label) @_label) @flow.arm
  (#not-eq? @_label "default"))
((switch_rule . (switch_label) @_label) @flow.default
  (#eq? @_label "default"))

; ---------------------------------------------------------------- loops
(while_statement) @flow.loop
; The body of a do-while runs at least once; modelled as a loop that may run zero times.
; a do-while runs its body before its test
((do_statement) @flow.loop
  (#set! flow.test "after"))
(for_statement) @flow.loop
(for_statement init: (_) @flow.once)
(for_statement update: (_) @flow.last)
(enhanced_for_statement value: (_) @flow.once) @flow.loop

; ---------------------------------------------------------------- exceptions
(try_statement) @flow.try
(try_with_resources_statement) @flow.try
(catch_clause) @flow.handler
(finally_clause) @flow.finally

; ---------------------------------------------------------------- deferred bodies and jumps
; Method, constructor and lambda bodies run when called, not where they are declared.
(method_declaration) @flow.deferred
(constructor_declaration) @flow.deferred
(compact_constructor_declaration) @flow.deferred
(lambda_expression) @flow.deferred
(return_statement) @flow.return
(throw_statement) @flow.return
(break_statement) @flow.break
(yield_statement) @flow.break
(continue_statement) @flow.continue

; ---------------------------------------------------------------- statements (control-flow nodes)
; The nodes of the cfg_* edges. A compound statement stands for its test (`if`, `while`, `for`, a case
; group) or its entry (`try`, `synchronized`); a method or lambda is its own entry and exit.
[
  (expression_statement) (local_variable_declaration) (explicit_constructor_invocation) (if_statement)
  (while_statement) (do_statement) (for_statement) (enhanced_for_statement) (break_statement)
  (continue_statement) (return_statement) (yield_statement) (throw_statement) (try_statement)
  (try_with_resources_statement) (catch_clause) (assert_statement) (synchronized_statement)
  (switch_block_statement_group) (switch_rule)
] @flow.statement
(block (switch_expression) @flow.statement)
(switch_block_statement_group (switch_expression) @flow.statement)

; Labels: `break outer` and `continue outer` jump to the loop (or switch) the label names.
(labeled_statement (identifier) @flow.label)
(break_statement (identifier) @flow.jump.label)
(continue_statement (identifier) @flow.jump.label)
