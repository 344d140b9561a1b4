; C scopes, definitions and references, in tree-sitter's locals conventions (C++ inherits them).
; Read by graphcode's data-flow engine; see grammars/README.md for every capture and setting.
; The language's rule is "declaration" (language.toml): a name is visible from its declaration on.

; ---------------------------------------------------------------- scopes
; A function's parameters live in its own scope; blocks and a for's header declare for their extent.
((function_definition) @local.scope
  (#set! local.scope.kind "function"))
(compound_statement) @local.scope
(for_statement) @local.scope

; ---------------------------------------------------------------- definitions
; A function's name belongs to the file (a prototype declares it too).
((function_definition declarator: (function_declarator declarator: (identifier) @local.definition.function))
  (#set! local.definition.scope "parent"))
((function_definition declarator: (pointer_declarator declarator: (function_declarator
   declarator: (identifier) @local.definition.function)))
  (#set! local.definition.scope "parent"))
(declaration declarator: (function_declarator declarator: (identifier) @local.definition.function))
(declaration declarator: (pointer_declarator declarator: (function_declarator
  declarator: (identifier) @local.definition.function)))

; Parameters, through pointers and arrays (`int *p`, `int a[]`, `char **argv`)
(parameter_declaration declarator: (identifier) @local.definition.parameter)
(parameter_declaration declarator: (pointer_declarator declarator: (identifier) @local.definition.parameter))
(parameter_declaration declarator: (array_declarator declarator: (identifier) @local.definition.parameter))
(parameter_declaration declarator: (pointer_declarator declarator: (pointer_declarator
  declarator: (identifier) @local.definition.parameter)))

; Variables: `int x;`, `int x = v;`, `int *p = &x;`, `int a[3] = {...};`, `static int n;`
(declaration declarator: (identifier) @local.definition.var)
(declaration declarator: (pointer_declarator declarator: (identifier) @local.definition.var))
(declaration declarator: (array_declarator declarator: (identifier) @local.definition.var))
(init_declarator declarator: (identifier) @local.definition.var)
(init_declarator declarator: (pointer_declarator declarator: (identifier) @local.definition.var))
(init_declarator declarator: (array_declarator declarator: (identifier) @local.definition.var))
(init_declarator declarator: (pointer_declarator declarator: (pointer_declarator
  declarator: (identifier) @local.definition.var)))

; Enumerators and macros are constants of the file; a function-like macro's parameters are its own.
(enumerator name: (identifier) @local.definition.constant)
((preproc_def name: (identifier) @local.definition.constant)
  (#set! local.definition.scope "parent"))
(preproc_function_def name: (identifier) @local.definition.function)

; ---------------------------------------------------------------- not variables
; Field, type and label names are their own node types (field_identifier, type_identifier,
; statement_identifier) and are never captured. A macro's parameters and body are text.
(preproc_params (identifier) @local.ignore)
(preproc_defined (identifier) @local.ignore)
(preproc_ifdef name: (identifier) @local.ignore)

; ---------------------------------------------------------------- references
(identifier) @local.reference
