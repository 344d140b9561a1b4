; PHP scopes, definitions and references, in tree-sitter's locals conventions.
; Read by graphcode's data-flow engine; see grammars/README.md for every capture and setting.
; A variable belongs to its function (or the file), wherever in it it is assigned; a function sees no variable
; around it (but `global $x`), while an arrow function (`fn($z) => $z + $x`) sees them, captured by value when it is
; made (dataflow.scm: `flow.capture "value"`).
; Out of scope: variables made or read by name at run time (`compact`, `extract`, `$$name`).

; ---------------------------------------------------------------- scopes
((program) @local.scope
  (#set! local.scope.opaque "true"))
((function_definition) @local.scope
  (#set! local.scope.kind "function")
  (#set! local.scope.opaque "true"))
((method_declaration) @local.scope
  (#set! local.scope.kind "function")
  (#set! local.scope.opaque "true"))
((anonymous_function) @local.scope
  (#set! local.scope.kind "function")
  (#set! local.scope.opaque "true"))
; an arrow function captures the variables around it (by value): its scope is a block of the enclosing one
(arrow_function) @local.scope

; ---------------------------------------------------------------- definitions
(simple_parameter name: (variable_name) @local.definition.parameter)
(variadic_parameter name: (variable_name) @local.definition.parameter)
(property_promotion_parameter name: (variable_name) @local.definition.parameter)
; `use ($b, &$x)`: the closure's own variables (the edge from the outer variable is not drawn)
(anonymous_function_use_clause (variable_name) @local.definition.parameter)
(anonymous_function_use_clause (by_ref (variable_name) @local.definition.parameter))
(catch_clause name: (variable_name) @local.definition.parameter)

; Assignments, `[$a, $b] = ...` and `list($a, $b) = ...`, foreach variables, `static $n`
(assignment_expression left: (variable_name) @local.definition.var)
(reference_assignment_expression left: (variable_name) @local.definition.var)
(list_literal (variable_name) @local.definition.var)
(list_literal (by_ref (variable_name) @local.definition.var))
(foreach_statement (variable_name) (variable_name) @local.definition.var)
(foreach_statement (pair (variable_name) @local.definition.var))
(foreach_statement (by_ref (variable_name) @local.definition.var))
(static_variable_declaration name: (variable_name) @local.definition.var)

; `global $g` names the file's variable
(global_declaration (variable_name) @local.global)

; ---------------------------------------------------------------- references
; Variables are `$name`s; function, class, constant and member names are not variables.
(variable_name) @local.reference
