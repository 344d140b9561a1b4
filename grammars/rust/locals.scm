; Rust scopes, definitions and references, in tree-sitter's locals conventions.
; Read by graphcode's data-flow engine; see grammars/README.md for every capture and setting.
; The language's rule is "declaration" (language.toml): a binding is visible from the end of its `let` on
; (`local.definition.visible "after"`), so a `let` that shadows a name of an outer scope reads the outer one in its
; own initialiser (`let a = a + 1`). A `let` that shadows a name of the same scope reaches the same variable here:
; its initialiser, evaluated first, still reads the old value (dataflow.scm moves the new binding after it).

; ---------------------------------------------------------------- scopes
((function_item) @local.scope
  (#set! local.scope.kind "function"))
((closure_expression) @local.scope
  (#set! local.scope.kind "function"))
(block) @local.scope
(for_expression) @local.scope
(match_arm) @local.scope
(if_expression) @local.scope
(while_expression) @local.scope

; ---------------------------------------------------------------- definitions
((function_item name: (identifier) @local.definition.function)
  (#set! local.definition.scope "parent"))
(const_item name: (identifier) @local.definition.constant)
(static_item name: (identifier) @local.definition.constant)

; Parameters (closures' too)
(parameter pattern: (identifier) @local.definition.parameter)
(parameter pattern: (mut_pattern (identifier) @local.definition.parameter))
(closure_parameters (identifier) @local.definition.parameter)

; Bindings in patterns: `let`, `if let`, `while let`, `for`, `match` (a lower-case bare name binds; an
; upper-case one is a constant or a variant). Those of a `let` (or `if let`, `while let`) are visible from its
; end: `visible "after"` takes effect where a `@flow.assign` of the name's own scope is around it, which only a
; `let` is (dataflow.scm), so nested patterns may carry it everywhere (a `match` or a parameter is unaffected).
((let_declaration pattern: (identifier) @local.definition.var)
  (#set! local.definition.visible "after"))
((let_condition pattern: (identifier) @local.definition.var)
  (#set! local.definition.visible "after"))
(for_expression pattern: (identifier) @local.definition.var)
((mut_pattern (identifier) @local.definition.var)
  (#set! local.definition.visible "after"))
((ref_pattern (identifier) @local.definition.var)
  (#set! local.definition.visible "after"))
((tuple_pattern (identifier) @local.definition.var)
  (#set! local.definition.visible "after"))
((slice_pattern (identifier) @local.definition.var)
  (#set! local.definition.visible "after"))
((tuple_struct_pattern type: (_) (identifier) @local.definition.var)
  (#set! local.definition.visible "after"))
((field_pattern name: (shorthand_field_identifier) @local.definition.var)
  (#set! local.definition.visible "after"))
((field_pattern pattern: (identifier) @local.definition.var)
  (#set! local.definition.visible "after"))
((captured_pattern (identifier) @local.definition.var)
  (#set! local.definition.visible "after"))
((match_pattern (identifier) @local.definition.var)
  (#match? @local.definition.var "^[a-z_]"))

; What a `for` iterates over is evaluated once, before its pattern binds: `for v in v` iterates over the outer v.
(for_expression value: (_) @local.outer)

; ---------------------------------------------------------------- not variables
; Labels, lifetimes, macro names, the path segments of `a::b`, a tuple-struct pattern's type, an upper-case bare
; name in a pattern (a constant or variant).
(label (identifier) @local.ignore)
(lifetime (identifier) @local.ignore)
(macro_invocation macro: (identifier) @local.ignore)
(scoped_identifier name: (identifier) @local.ignore)
(scoped_identifier path: (identifier) @local.ignore)
; A module or type path segment is never a variable: `fmt::Result` (in a type, a generic's arguments, a trait
; bound; deeper paths are scoped_identifiers), `use` paths and their aliases, attributes (`#[test]`), modules,
; crates, and a trait method's declared name.
(scoped_type_identifier path: (identifier) @local.ignore)
(use_declaration argument: (identifier) @local.ignore)
(scoped_use_list path: (identifier) @local.ignore)
(use_list (identifier) @local.ignore)
(use_as_clause path: (identifier) @local.ignore)
(use_as_clause alias: (identifier) @local.ignore)
(use_wildcard (identifier) @local.ignore)
(attribute (identifier) @local.ignore)
(mod_item name: (identifier) @local.ignore)
(extern_crate_declaration name: (identifier) @local.ignore)
(extern_crate_declaration alias: (identifier) @local.ignore)
(function_signature_item name: (identifier) @local.ignore)
; A macro's tokens are a flat list: an identifier next to `::` is a path segment (`X::span`, `fmt::Result`), one
; after `.` a field or method name. (The separator is captured: tree-sitter finds only the first match in a token
; tree of a pattern whose anonymous node is not. An anchor skips anonymous tokens, so `#x` after `::` matches too:
; dataflow.scm reads quote!'s `#x` interpolation again.)
(token_tree "::" @_separator . (identifier) @local.ignore)
(token_tree (identifier) @local.ignore . "::" @_separator)
(token_tree "." @_separator . (identifier) @local.ignore)
(tuple_struct_pattern type: (identifier) @local.ignore)
((match_pattern (identifier) @local.ignore)
  (#match? @local.ignore "^[A-Z]"))

; ---------------------------------------------------------------- references
(identifier) @local.reference
