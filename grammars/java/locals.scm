; Java scopes, definitions and references, in tree-sitter's locals conventions.
; Read by graphcode's data-flow engine; see grammars/README.md for every capture and setting.
; The language's rule is "declaration" (language.toml): a local is visible from its declaration on.

; ---------------------------------------------------------------- scopes
; Type bodies see all their fields, wherever declared.
((class_body) @local.scope
  (#set! local.scope.kind "class")
  (#set! local.scope.binding "scope"))
((interface_body) @local.scope
  (#set! local.scope.kind "class")
  (#set! local.scope.binding "scope"))
((enum_body) @local.scope
  (#set! local.scope.kind "class")
  (#set! local.scope.binding "scope"))
((annotation_type_body) @local.scope
  (#set! local.scope.kind "class")
  (#set! local.scope.binding "scope"))
; A record's components are fields of its body: the record itself is the class scope.
((record_declaration) @local.scope
  (#set! local.scope.kind "class")
  (#set! local.scope.binding "scope"))

; Methods, constructors and lambdas: their parameters live in their own function scope.
((method_declaration) @local.scope
  (#set! local.scope.kind "function"))
((constructor_declaration) @local.scope
  (#set! local.scope.kind "function"))
((compact_constructor_declaration) @local.scope
  (#set! local.scope.kind "function"))
((lambda_expression) @local.scope
  (#set! local.scope.kind "function"))

; Blocks and the statements that declare variables for their own extent
(block) @local.scope
(constructor_body) @local.scope
(for_statement) @local.scope
(enhanced_for_statement) @local.scope
(catch_clause) @local.scope
(try_with_resources_statement) @local.scope
(switch_block) @local.scope
(switch_rule) @local.scope

; ---------------------------------------------------------------- definitions
; Parameters
(formal_parameter name: (identifier) @local.definition.parameter)
(spread_parameter (variable_declarator name: (identifier) @local.definition.parameter))
(catch_formal_parameter name: (identifier) @local.definition.parameter)
(lambda_expression parameters: (identifier) @local.definition.parameter)
(inferred_parameters (identifier) @local.definition.parameter)

; Locals, fields and constants (a field_declaration's declarator lives in the class body scope)
(local_variable_declaration declarator: (variable_declarator name: (identifier) @local.definition.var))
(field_declaration declarator: (variable_declarator name: (identifier) @local.definition.field))
(constant_declaration declarator: (variable_declarator name: (identifier) @local.definition.field))
(enum_constant name: (identifier) @local.definition.field)
(enhanced_for_statement name: (identifier) @local.definition.var)
(resource name: (identifier) @local.definition.var)

; Pattern variables (instanceof, switch patterns, record patterns)
(instanceof_expression name: (identifier) @local.definition.var)
(type_pattern (identifier) @local.definition.var)
(record_pattern_component (identifier) @local.definition.var)

; ---------------------------------------------------------------- not variables
; Type, method and constructor names, method names in calls and method references, field names in
; field accesses, labels, annotation names and keys, package and import paths.
(class_declaration name: (identifier) @local.ignore)
(interface_declaration name: (identifier) @local.ignore)
(enum_declaration name: (identifier) @local.ignore)
(record_declaration name: (identifier) @local.ignore)
(annotation_type_declaration name: (identifier) @local.ignore)
(annotation_type_element_declaration name: (identifier) @local.ignore)
(method_declaration name: (identifier) @local.ignore)
(constructor_declaration name: (identifier) @local.ignore)
(compact_constructor_declaration name: (identifier) @local.ignore)
(method_invocation name: (identifier) @local.ignore)
(method_reference (identifier) @local.ignore .)
(field_access field: (identifier) @local.ignore)
(labeled_statement (identifier) @local.ignore)
(break_statement (identifier) @local.ignore)
(continue_statement (identifier) @local.ignore)
(marker_annotation name: (identifier) @local.ignore)
(annotation name: (identifier) @local.ignore)
(element_value_pair key: (identifier) @local.ignore)
(record_pattern (identifier) @local.ignore)
(scoped_identifier (identifier) @local.ignore)
(package_declaration (identifier) @local.ignore)
(import_declaration (identifier) @local.ignore)
(module_declaration (identifier) @local.ignore)

; ---------------------------------------------------------------- references
(identifier) @local.reference
