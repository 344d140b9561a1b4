; inherits: c
; C++ scopes, definitions and references: C's (grammars/c/locals.scm), plus classes, references, structured
; bindings, range-for, lambdas and handlers. Read by graphcode's data-flow engine; see grammars/README.md.

; ---------------------------------------------------------------- scopes
; A class body sees all its members, wherever declared; methods see the fields by their bare names.
((field_declaration_list) @local.scope
  (#set! local.scope.kind "class")
  (#set! local.scope.binding "scope"))
((lambda_expression) @local.scope
  (#set! local.scope.kind "function"))
(for_range_loop) @local.scope
(catch_clause) @local.scope
; A declaration in a condition (`if (auto p = get())`) is visible in the whole statement.
(if_statement) @local.scope
(while_statement) @local.scope
(switch_statement) @local.scope

; ---------------------------------------------------------------- definitions
; Fields (a bare name in a method reads the field; `this->x` is a member access and reads no variable)
(field_declaration declarator: (field_identifier) @local.definition.field)
; References are variables of their own: a write through one is not seen on the variable it refers to.
(parameter_declaration declarator: (reference_declarator (identifier) @local.definition.parameter))
(optional_parameter_declaration declarator: (identifier) @local.definition.parameter)
(optional_parameter_declaration declarator: (reference_declarator (identifier) @local.definition.parameter))
(init_declarator declarator: (reference_declarator (identifier) @local.definition.var))
; Structured bindings `auto [a, b] = p;` and range-for variables `for (auto &x : xs)`
(structured_binding_declarator (identifier) @local.definition.var)
(for_range_loop declarator: (identifier) @local.definition.var)
(for_range_loop declarator: (reference_declarator (identifier) @local.definition.var))
(for_range_loop declarator: (structured_binding_declarator (identifier) @local.definition.var))
; A lambda's captures are read where it is made, not when it runs.
(lambda_capture_specifier) @local.outer

; ---------------------------------------------------------------- not variables
; A qualified name (`std::error_code`, `ns::y`, `a::b::c`, `::g`) names a namespace's or class's member, never a
; local or a parameter (nested qualifiers are qualified_identifiers; the last one holds the name).
(qualified_identifier name: (identifier) @local.ignore)
(qualified_identifier name: (template_function name: (identifier) @local.ignore))
