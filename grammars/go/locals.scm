; Go scopes, definitions and references, in tree-sitter's locals conventions.
; Read by graphcode's data-flow engine; see grammars/README.md for every capture and setting.
; The language's rule is "declaration" (language.toml): a local is visible from the end of its declaration on.
; Package-level names are visible in the whole package, wherever declared.

; ---------------------------------------------------------------- scopes
((source_file) @local.scope
  (#set! local.scope.binding "scope"))
((function_declaration) @local.scope
  (#set! local.scope.kind "function"))
((method_declaration) @local.scope
  (#set! local.scope.kind "function"))
((func_literal) @local.scope
  (#set! local.scope.kind "function"))
; Blocks, and the statements whose headers declare names for their own extent (`if x := f(); x > 0`,
; `for i := 0; ...`, `switch v := x.(type)`); every case clause is an implicit block.
(block) @local.scope
(if_statement) @local.scope
(for_statement) @local.scope
(expression_switch_statement) @local.scope
(type_switch_statement) @local.scope
(expression_case) @local.scope
(type_case) @local.scope
(default_case) @local.scope
(communication_case) @local.scope

; ---------------------------------------------------------------- definitions
; Functions belong to the package scope (methods are reached through their receiver, not by name).
((function_declaration name: (identifier) @local.definition.function)
  (#set! local.definition.scope "parent"))

; Parameters, receivers and named results. The blank identifier `_` never declares anything.
((parameter_declaration name: (identifier) @local.definition.parameter)
  (#not-eq? @local.definition.parameter "_"))
((variadic_parameter_declaration name: (identifier) @local.definition.parameter)
  (#not-eq? @local.definition.parameter "_"))

; `var`, `const` and `:=`. Redeclaring a name in the same scope (`x, err := g()` after
; `err := f()`) reaches the same variable: it is a write; in an inner scope it shadows.
; A local's scope begins at the end of its VarSpec, ConstSpec or short variable declaration (Go's spec): there
; (`local.definition.visible "after"`: the end of its @flow.assign in dataflow.scm), so `x := x + 1` or
; `var x = x + 1` in an inner block reads the outer x.
((var_spec name: (identifier) @local.definition.var)
  (#not-eq? @local.definition.var "_")
  (#set! local.definition.visible "after"))
((const_spec name: (identifier) @local.definition.constant)
  (#not-eq? @local.definition.constant "_")
  (#set! local.definition.visible "after"))
((short_var_declaration left: (expression_list (identifier) @local.definition.var))
  (#not-eq? @local.definition.var "_")
  (#set! local.definition.visible "after"))
((range_clause left: (expression_list (identifier) @local.definition.var) ":=")
  (#not-eq? @local.definition.var "_"))
((receive_statement left: (expression_list (identifier) @local.definition.var) ":=")
  (#not-eq? @local.definition.var "_"))
(type_switch_statement alias: (expression_list (identifier) @local.definition.var))
; What a `for ... := range x` ranges over is evaluated once, before its variables exist: `for _, v := range v`
; ranges over the outer v.
(range_clause right: (_) @local.outer)

; ---------------------------------------------------------------- not variables
; Field, method, type, package and label names are their own node types and are not captured.
; The blank identifier is never read; a composite literal's keys are struct field names (the key
; of a map literal written as a bare variable is missed).
((identifier) @local.ignore
  (#eq? @local.ignore "_"))
(keyed_element key: (literal_element (identifier) @local.ignore))
; Type parameters are types, not variables.
(type_parameter_declaration name: (identifier) @local.ignore)

; ---------------------------------------------------------------- references
(identifier) @local.reference
