; C# scopes, definitions and references, in tree-sitter's locals conventions.
; Read by graphcode's data-flow engine; see grammars/README.md for every capture and setting.
; The language's rule is "declaration" (language.toml): a local is visible from its declaration on.

; ---------------------------------------------------------------- scopes
; Type bodies see all their members, wherever declared.
((declaration_list) @local.scope
  (#set! local.scope.kind "class")
  (#set! local.scope.binding "scope"))
((method_declaration) @local.scope
  (#set! local.scope.kind "function"))
((constructor_declaration) @local.scope
  (#set! local.scope.kind "function"))
((local_function_statement) @local.scope
  (#set! local.scope.kind "function"))
((lambda_expression) @local.scope
  (#set! local.scope.kind "function"))
((anonymous_method_expression) @local.scope
  (#set! local.scope.kind "function"))
((accessor_declaration) @local.scope
  (#set! local.scope.kind "function"))
(block) @local.scope
(for_statement) @local.scope
(foreach_statement) @local.scope
(catch_clause) @local.scope
(switch_section) @local.scope
(using_statement) @local.scope
(query_expression) @local.scope
(switch_expression_arm) @local.scope

; ---------------------------------------------------------------- definitions
; Parameters (`out`, `ref` and `in` ones too), a lambda's bare parameter, a catch's exception
(parameter name: (identifier) @local.definition.parameter)
(lambda_expression parameters: (implicit_parameter) @local.definition.parameter)
(catch_declaration name: (identifier) @local.definition.parameter)

; Fields, properties, enum members: the type body's
(field_declaration (variable_declaration (variable_declarator name: (identifier) @local.definition.field)))
(property_declaration name: (identifier) @local.definition.field)
(enum_member_declaration name: (identifier) @local.definition.constant)

; Locals: declarations (also `using var`, a for's initialiser), deconstruction `var (a, b) = ...`, pattern
; variables (`is T x`, switch patterns), `out var x`, foreach and LINQ range variables, local functions
(local_declaration_statement (variable_declaration (variable_declarator name: (identifier) @local.definition.var)))
(for_statement initializer: (variable_declaration (variable_declarator name: (identifier) @local.definition.var)))
(using_statement (variable_declaration (variable_declarator name: (identifier) @local.definition.var)))
(tuple_pattern name: (identifier) @local.definition.var)
(declaration_pattern name: (identifier) @local.definition.var)
(declaration_expression name: (identifier) @local.definition.var)
(foreach_statement left: (identifier) @local.definition.var)
(from_clause name: (identifier) @local.definition.var)
((local_function_statement name: (identifier) @local.definition.function)
  (#set! local.definition.scope "parent"))

; ---------------------------------------------------------------- not variables
; Type, member, namespace, attribute and label names; types written as bare names; object initialiser keys.
(class_declaration name: (identifier) @local.ignore)
(struct_declaration name: (identifier) @local.ignore)
(interface_declaration name: (identifier) @local.ignore)
(enum_declaration name: (identifier) @local.ignore)
(record_declaration name: (identifier) @local.ignore)
(method_declaration name: (identifier) @local.ignore)
(constructor_declaration name: (identifier) @local.ignore)
(namespace_declaration name: (_) @local.ignore)
(using_directive (_) @local.ignore)
(qualified_name (identifier) @local.ignore)
(generic_name (identifier) @local.ignore)
(attribute name: (_) @local.ignore)
(member_access_expression name: (identifier) @local.ignore)
(variable_declaration type: (identifier) @local.ignore)
(parameter type: (identifier) @local.ignore)
(object_creation_expression type: (identifier) @local.ignore)
(declaration_pattern type: (identifier) @local.ignore)
(catch_declaration type: (identifier) @local.ignore)
(type_argument_list (identifier) @local.ignore)
; types wherever a type stands: a cast, `as`, `typeof`, `default`, foreach's element, arrays, nullables, a return
; type, a property's type, bases, type parameters and their constraints are never variables
(as_expression right: (identifier) @local.ignore)
(cast_expression type: (identifier) @local.ignore)
(typeof_expression type: (identifier) @local.ignore)
(default_expression type: (identifier) @local.ignore)
(foreach_statement type: (identifier) @local.ignore)
(array_type type: (identifier) @local.ignore)
(nullable_type type: (identifier) @local.ignore)
(method_declaration returns: (identifier) @local.ignore)
(local_function_statement type: (identifier) @local.ignore)
(property_declaration type: (identifier) @local.ignore)
(base_list (identifier) @local.ignore)
(type_parameter name: (identifier) @local.ignore)
(type_parameter_constraints_clause (identifier) @local.ignore)
(type_parameter_constraint type: (identifier) @local.ignore)
(initializer_expression (assignment_expression left: (identifier) @local.ignore))
(labeled_statement (identifier) @local.ignore)
(goto_statement (identifier) @local.ignore)

; ---------------------------------------------------------------- references
(identifier) @local.reference
