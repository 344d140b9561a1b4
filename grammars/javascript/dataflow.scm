; JavaScript control flow and assignments for graphcode's data-flow engine (see grammars/README.md).

; ---------------------------------------------------------------- assignments
; `x = v` and `[a, b] = [b, a]` write existing variables after v is evaluated (flow.assign); targets
; are computed from the value. Assigning a property (`o.p = v`) writes no variable: it reads o.
(assignment_expression left: (identifier) @flow.write)
(assignment_expression left: [(array_pattern) (object_pattern)] @local.destructure.write)
(assignment_expression
  left: [(identifier) (array_pattern) (object_pattern)] @flow.target
  right: (_) @flow.value)
; `x += v`, `x ??= v` (every compound operator) read x, then write it.
(augmented_assignment_expression
  left: (identifier) @flow.read @flow.write)
; x is also computed from its previous value (a computed_from edge from x to itself). tree-sitter keeps at
; most three captures on one node of a pattern: hence separate patterns.
(augmented_assignment_expression
  left: (identifier) @flow.target @flow.value
  right: (_) @flow.value)
; `x++`, `--x`: a read, then a write, of the same variable.
(update_expression argument: (identifier) @flow.read @flow.write)
(update_expression argument: (identifier) @flow.target @flow.value)

; A declaration's initialiser: the declared names are computed from it. `let`/`const` names cannot be
; read in their own initialiser, so they need no flow.assign; `var x = x || {}` reads the hoisted x
; before writing it.
(variable_declarator name: (_) @flow.target value: (_) @flow.value)
; Writes in the assignment's own scope happen after its value is evaluated.
(assignment_expression
   left: [(identifier) (array_pattern) (object_pattern)]
   right: (_) @_value) @flow.assign
(augmented_assignment_expression left: (identifier) right: (_) @_value) @flow.assign
(variable_declaration (variable_declarator value: (_) @_value) @flow.assign)
; Default values of destructured names and parameters
(assignment_pattern left: (_) @flow.target right: (_) @flow.value)
(object_assignment_pattern left: (_) @flow.target right: (_) @flow.value)
; Loop variables are computed from what they iterate; `for (x of xs)` writes an existing x.
(for_in_statement left: (_) @flow.target right: (_) @flow.value)
(for_in_statement !kind left: (identifier) @flow.write)
(for_in_statement !kind left: [(array_pattern) (object_pattern)] @local.destructure.write)

; ---------------------------------------------------------------- branches
(if_statement consequence: (_) @flow.arm) @flow.branch
(if_statement alternative: (else_clause) @flow.default)
(ternary_expression consequence: (_) @flow.arm alternative: (_) @flow.default) @flow.branch
; The right operand of `&&`, `||` and `??` may not run.
(binary_expression operator: ["&&" "||" "??"] right: (_) @flow.arm) @flow.branch
; A switch is a branch that `break` leaves; each case is an arm, `default` makes them exhaustive. A case
; runs on into the next unless it breaks (fall-through).
((switch_statement) @flow.branch
  (#set! flow.breakable "true")
  (#set! flow.fallthrough "true"))
(switch_case) @flow.arm
(switch_default) @flow.default

; ---------------------------------------------------------------- loops
(while_statement) @flow.loop
; The body of a do-while runs at least once; modelled as a loop that may run zero times.
; a do-while runs its body before its test
((do_statement) @flow.loop
  (#set! flow.test "after"))
(for_statement) @flow.loop
(for_statement initializer: (_) @flow.once)
(for_statement increment: (_) @flow.last)
(for_in_statement right: (_) @flow.once) @flow.loop

; ---------------------------------------------------------------- exceptions
(try_statement) @flow.try
(catch_clause) @flow.handler
(finally_clause) @flow.finally

; ---------------------------------------------------------------- deferred bodies and jumps
; Function, method and arrow bodies run when called, not where they are defined.
(function_declaration) @flow.deferred
(generator_function_declaration) @flow.deferred
(function_expression) @flow.deferred
(generator_function) @flow.deferred
(arrow_function) @flow.deferred
(method_definition) @flow.deferred
(return_statement) @flow.return
(throw_statement) @flow.return
(break_statement) @flow.break
(continue_statement) @flow.continue

; ---------------------------------------------------------------- statements (control-flow nodes)
; The nodes of the cfg_* edges (TypeScript and TSX inherit them). A compound statement stands for its
; test (`if`, `while`, `for`, a case) or its entry (`try`, `with`); a function is its own entry and exit.
[
  (expression_statement) (variable_declaration) (lexical_declaration) (if_statement) (switch_statement)
  (switch_case) (switch_default) (for_statement) (for_in_statement) (while_statement) (do_statement)
  (try_statement) (catch_clause) (with_statement) (break_statement) (continue_statement)
  (debugger_statement) (return_statement) (throw_statement) (empty_statement) (function_declaration)
  (generator_function_declaration) (class_declaration) (import_statement) (export_statement)
] @flow.statement

; Labels: `break outer` and `continue outer` jump to the loop (or switch) the label names.
(labeled_statement label: (statement_identifier) @flow.label)
(break_statement label: (statement_identifier) @flow.jump.label)
(continue_statement label: (statement_identifier) @flow.jump.label)
