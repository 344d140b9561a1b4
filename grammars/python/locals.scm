; Python scopes, definitions and references, in tree-sitter's locals conventions.
; Read by graphcode's data-flow engine; see grammars/README.md for every capture and setting.

; ---------------------------------------------------------------- scopes
; The module is the root scope. Functions and lambdas open function scopes; a class body is a scope
; whose names nested functions cannot see, and a read of one of its names that it has not bound yet reads the
; module's (`codec = codec`: the global; also in a class inside a function, as CPython's LOAD_NAME does);
; comprehensions have their own scope (Python 3).
((function_definition) @local.scope
  (#set! local.scope.kind "function"))
((lambda) @local.scope
  (#set! local.scope.kind "function"))
((class_definition) @local.scope
  (#set! local.scope.kind "class")
  (#set! local.scope.hidden "true")
  (#set! local.scope.fallback "global"))
(list_comprehension) @local.scope
(set_comprehension) @local.scope
(dictionary_comprehension) @local.scope
(generator_expression) @local.scope

; ---------------------------------------------------------------- definitions
; A function's or class's name belongs to the enclosing scope.
((function_definition
  name: (identifier) @local.definition.function)
  (#set! local.definition.scope "parent"))
((class_definition
  name: (identifier) @local.definition.type)
  (#set! local.definition.scope "parent"))

; Parameters
(parameters (identifier) @local.definition.parameter)
(lambda_parameters (identifier) @local.definition.parameter)
(default_parameter name: (identifier) @local.definition.parameter)
(typed_parameter . (identifier) @local.definition.parameter)
(typed_default_parameter name: (identifier) @local.definition.parameter)
(list_splat_pattern (identifier) @local.definition.parameter)
(dictionary_splat_pattern (identifier) @local.definition.parameter)

; Assignment targets, with tuple and list destructuring
(assignment left: (identifier) @local.definition.var)
(augmented_assignment left: (identifier) @local.definition.var)
; an assignment expression binds in the enclosing function (or module), also from inside a comprehension
((named_expression name: (identifier) @local.definition.var)
  (#set! local.definition.scope "function"))
(pattern_list (identifier) @local.definition.var)
(tuple_pattern (identifier) @local.definition.var)
(list_pattern (identifier) @local.definition.var)
(for_statement left: (identifier) @local.definition.var)
(for_in_clause left: (identifier) @local.definition.var)
(as_pattern_target (identifier) @local.definition.var)
(as_pattern_target (tuple (identifier) @local.definition.var))
(as_pattern_target (list (identifier) @local.definition.var))
(as_pattern_target (parenthesized_expression (identifier) @local.definition.var))
(as_pattern_target (tuple (list_splat (identifier) @local.definition.var)))
(as_pattern_target (list (list_splat (identifier) @local.definition.var)))
(case_pattern (dotted_name . (identifier) @local.definition.var .))
(case_pattern (keyword_pattern (identifier) (dotted_name . (identifier) @local.definition.var .)))

; Imports bind the first name of a dotted path, or the alias
(import_statement name: (dotted_name . (identifier) @local.definition.import))
(import_from_statement name: (dotted_name . (identifier) @local.definition.import))
(aliased_import alias: (identifier) @local.definition.import)

; global / nonlocal declarations redirect a name for the whole scope
(global_statement (identifier) @local.global)
(nonlocal_statement (identifier) @local.nonlocal)

; ---------------------------------------------------------------- evaluated outside their scope
; Default values and annotations are evaluated where the function is defined; a comprehension's first
; iterable where the comprehension is.
(default_parameter value: (_) @local.outer)
(typed_default_parameter value: (_) @local.outer)
(typed_default_parameter type: (_) @local.outer)
(typed_parameter type: (_) @local.outer)
(function_definition return_type: (_) @local.outer)
; a class's bases and keywords, and its decorators, are evaluated where the class statement is
(class_definition superclasses: (_) @local.outer)
(list_comprehension body: (_) . (for_in_clause right: (_) @local.outer))
(set_comprehension body: (_) . (for_in_clause right: (_) @local.outer))
(generator_expression body: (_) . (for_in_clause right: (_) @local.outer))
(dictionary_comprehension body: (_) . (for_in_clause right: (_) @local.outer))

; ---------------------------------------------------------------- not variables
(attribute attribute: (identifier) @local.ignore)
(keyword_argument name: (identifier) @local.ignore)
(dotted_name (identifier) @local.ignore)
(aliased_import alias: (identifier) @local.ignore)
(global_statement (identifier) @local.ignore)
(nonlocal_statement (identifier) @local.ignore)
(keyword_pattern . (identifier) @local.ignore)

; ---------------------------------------------------------------- references
(identifier) @local.reference
