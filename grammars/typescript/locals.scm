; TypeScript scopes, definitions and references, in tree-sitter's locals conventions.
; The JavaScript queries (grammars/javascript/locals.scm), adapted to TypeScript's node types:
; parameters are required_parameter/optional_parameter nodes, class names are type_identifier nodes,
; and type annotations hold no identifiers that are variables.
; Read by graphcode's data-flow engine; see grammars/README.md for every capture and setting.
; The language's rule is "declaration" (language.toml): `let`, `const` and `class` names are visible
; from their declaration on; `var` and function declarations are hoisted.

; ---------------------------------------------------------------- scopes
; Functions, methods, arrows and static blocks are function scopes: `var` declarations belong to them.
((function_declaration) @local.scope
  (#set! local.scope.kind "function"))
((generator_function_declaration) @local.scope
  (#set! local.scope.kind "function"))
((function_expression) @local.scope
  (#set! local.scope.kind "function"))
((generator_function) @local.scope
  (#set! local.scope.kind "function"))
((arrow_function) @local.scope
  (#set! local.scope.kind "function"))
((method_definition) @local.scope
  (#set! local.scope.kind "function"))
((class_static_block) @local.scope
  (#set! local.scope.kind "function"))
; Signatures and function types declare parameters that exist nowhere else.
((function_signature) @local.scope
  (#set! local.scope.kind "function"))
((method_signature) @local.scope
  (#set! local.scope.kind "function"))
((abstract_method_signature) @local.scope
  (#set! local.scope.kind "function"))
((call_signature) @local.scope
  (#set! local.scope.kind "function"))
((construct_signature) @local.scope
  (#set! local.scope.kind "function"))
((function_type) @local.scope
  (#set! local.scope.kind "function"))
((constructor_type) @local.scope
  (#set! local.scope.kind "function"))
; Blocks and the statements that declare `let`/`const` names for their own extent
(statement_block) @local.scope
(for_statement) @local.scope
(for_in_statement) @local.scope
(catch_clause) @local.scope
(switch_body) @local.scope
; A class expression's own name is visible only inside it.
(class) @local.scope

; ---------------------------------------------------------------- definitions
; Function declarations: the name belongs to the enclosing scope and is visible in all of it.
((function_declaration name: (identifier) @local.definition.function)
  (#set! local.definition.scope "parent")
  (#set! local.definition.hoist "value"))
((generator_function_declaration name: (identifier) @local.definition.function)
  (#set! local.definition.scope "parent")
  (#set! local.definition.hoist "value"))
; A named function expression's name is visible only inside it.
(function_expression name: (identifier) @local.definition.function)
(generator_function name: (identifier) @local.definition.function)
; Class names are type_identifier nodes; `new C()` reads C as an identifier of the same name.
(class_declaration name: (type_identifier) @local.definition.type)
(abstract_class_declaration name: (type_identifier) @local.definition.type)
(class name: (type_identifier) @local.definition.type)
(enum_declaration name: (identifier) @local.definition.type)
(internal_module name: (identifier) @local.definition.namespace)

; Declarations: `let`, `const`, `using` and `var`. A destructured declaration is a
; @local.destructure root: the names inside it (@local.pattern, below) are its definitions.
(variable_declarator name: (identifier) @local.definition.var)
(variable_declarator name: [(array_pattern) (object_pattern)] @local.destructure.definition.var)
; `var` belongs to the nearest function (or the module) and is hoisted there.
((variable_declaration (variable_declarator name: (identifier) @local.definition.var))
  (#set! local.definition.scope "function")
  (#set! local.definition.hoist "true"))
((variable_declaration (variable_declarator name: [(array_pattern) (object_pattern)] @local.destructure.definition.var))
  (#set! local.definition.scope "function")
  (#set! local.definition.hoist "true"))

; Parameters: plain names, and every name in a rest or destructured parameter
(required_parameter pattern: (identifier) @local.definition.parameter)
(optional_parameter pattern: (identifier) @local.definition.parameter)
(required_parameter pattern: [(rest_pattern) (array_pattern) (object_pattern)] @local.destructure.definition.parameter)
(optional_parameter pattern: [(array_pattern) (object_pattern)] @local.destructure.definition.parameter)
(arrow_function parameter: (identifier) @local.definition.parameter)
(catch_clause parameter: (identifier) @local.definition.parameter)
(catch_clause parameter: [(array_pattern) (object_pattern)] @local.destructure.definition.parameter)

; for (let x of xs) / for (const [k, v] of m) / for (var k in o)
(for_in_statement kind: _ left: (identifier) @local.definition.var)
(for_in_statement kind: _ left: [(array_pattern) (object_pattern)] @local.destructure.definition.var)
((for_in_statement kind: "var" left: (identifier) @local.definition.var)
  (#set! local.definition.scope "function")
  (#set! local.definition.hoist "true"))
((for_in_statement kind: "var" left: [(array_pattern) (object_pattern)] @local.destructure.definition.var)
  (#set! local.definition.scope "function")
  (#set! local.definition.hoist "true"))

; Names inside destructuring patterns, at any depth: each binds as the innermost @local.destructure
; root around it says (a definition above, a write in dataflow.scm); outside every root, nothing.
(array_pattern (identifier) @local.pattern)
(rest_pattern (identifier) @local.pattern)
(assignment_pattern left: (identifier) @local.pattern)
(object_pattern (shorthand_property_identifier_pattern) @local.pattern)
(object_assignment_pattern left: (shorthand_property_identifier_pattern) @local.pattern)
(pair_pattern value: (identifier) @local.pattern)

; Imports
(import_clause (identifier) @local.definition.import)
(namespace_import (identifier) @local.definition.import)
(import_specifier alias: (identifier) @local.definition.import)
(import_specifier !alias name: (identifier) @local.definition.import)
(import_require_clause (identifier) @local.definition.import)

; ---------------------------------------------------------------- not variables
; Property names are property_identifier nodes, labels statement_identifier nodes and type names
; type_identifier nodes: none is captured. An import's original name, an export's public name and an
; index signature's key name are not local variables.
(import_specifier name: (identifier) @local.ignore alias: (_))
(export_specifier alias: (identifier) @local.ignore)
(index_signature name: (identifier) @local.ignore)

; ---------------------------------------------------------------- references
(identifier) @local.reference
; `{a}` in an object literal reads a.
(shorthand_property_identifier) @local.reference
