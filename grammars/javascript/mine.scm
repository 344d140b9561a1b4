; Mining query for `graphcode mine` (captures documented in graphcode/data/mine.py); TypeScript and TSX
; inherit it.
;
; @mine.function  the function, generator or method (one example per node)
; @mine.name      its name
; @mine.body      its body block
; @mine.doc       the JSDoc block (`/** ... */`) right above it (an `export` may sit between)

(function_declaration
  name: (identifier) @mine.name
  body: (statement_block) @mine.body) @mine.function

(generator_function_declaration
  name: (identifier) @mine.name
  body: (statement_block) @mine.body) @mine.function

(method_definition
  name: (property_identifier) @mine.name
  body: (statement_block) @mine.body) @mine.function

(
  (comment) @mine.doc
  .
  [(function_declaration) (generator_function_declaration) (method_definition)] @mine.function
  (#match? @mine.doc "^/\\*\\*"))

(
  (comment) @mine.doc
  .
  (export_statement declaration: [(function_declaration) (generator_function_declaration)] @mine.function)
  (#match? @mine.doc "^/\\*\\*"))
