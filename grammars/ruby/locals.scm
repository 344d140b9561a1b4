; Ruby scopes, definitions and references, in tree-sitter's locals conventions.
; Read by graphcode's data-flow engine; see grammars/README.md for every capture and setting.
; A name is a local variable once it is assigned (before that, a bare name is a method call); a `def` cannot
; see the locals around it, while a block can. Every scope binds `strict`ly: a name is a variable from its first
; assignment (or parameter) on, textually, and a name read where none is declared yet is no variable at all.

; ---------------------------------------------------------------- scopes
((program) @local.scope
  (#set! local.scope.binding "strict")
  (#set! local.scope.opaque "true"))
((method) @local.scope
  (#set! local.scope.kind "function")
  (#set! local.scope.binding "strict")
  (#set! local.scope.opaque "true"))
((singleton_method) @local.scope
  (#set! local.scope.kind "function")
  (#set! local.scope.binding "strict")
  (#set! local.scope.opaque "true"))
((class) @local.scope
  (#set! local.scope.kind "class")
  (#set! local.scope.binding "strict")
  (#set! local.scope.opaque "true"))
((module) @local.scope
  (#set! local.scope.kind "class")
  (#set! local.scope.binding "strict")
  (#set! local.scope.opaque "true"))
; Blocks and lambdas see the locals around them; their parameters are their own.
((block) @local.scope
  (#set! local.scope.binding "strict"))
((do_block) @local.scope
  (#set! local.scope.binding "strict"))
((lambda) @local.scope
  (#set! local.scope.binding "strict"))

; ---------------------------------------------------------------- definitions
; Parameters of methods, blocks and lambdas (destructured ones too)
(method_parameters (identifier) @local.definition.parameter)
(block_parameters (identifier) @local.definition.parameter)
(lambda_parameters (identifier) @local.definition.parameter)
(destructured_parameter (identifier) @local.definition.parameter)
(optional_parameter name: (identifier) @local.definition.parameter)
(keyword_parameter name: (identifier) @local.definition.parameter)
(splat_parameter name: (identifier) @local.definition.parameter)
(hash_splat_parameter name: (identifier) @local.definition.parameter)
(block_parameter name: (identifier) @local.definition.parameter)

; Assignments (a re-assignment reaches the same variable), multiple assignment and splats, `x ||= v`,
; a rescue's exception variable, a for's variable
; (each binds in its own scope unless an enclosing one already has the name: then it writes that one)
((assignment left: (identifier) @local.definition.var)
  (#set! local.definition.scope "existing"))
((left_assignment_list (identifier) @local.definition.var)
  (#set! local.definition.scope "existing"))
((rest_assignment (identifier) @local.definition.var)
  (#set! local.definition.scope "existing"))
((destructured_left_assignment (identifier) @local.definition.var)
  (#set! local.definition.scope "existing"))
((operator_assignment left: (identifier) @local.definition.var)
  (#set! local.definition.scope "existing"))
((exception_variable (identifier) @local.definition.var)
  (#set! local.definition.scope "existing"))
((for pattern: (identifier) @local.definition.var)
  (#set! local.definition.scope "existing"))

; ---------------------------------------------------------------- not variables
; Method names in definitions and calls; constants, instance, class and global variables are their own node
; types and are not captured.
(method name: (identifier) @local.ignore)
(singleton_method name: (identifier) @local.ignore)
(call method: (identifier) @local.ignore)

; ---------------------------------------------------------------- references
(identifier) @local.reference
