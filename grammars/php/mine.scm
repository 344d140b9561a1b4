; Mining query for `graphcode mine` (captures documented in graphcode/data/mine.py).
;
; @mine.function  the function or method (one example per node)
; @mine.name      its name
; @mine.body      its body block
; @mine.doc       the PHPDoc block (`/** ... */`) right above it

(function_definition
  name: (name) @mine.name
  body: (compound_statement) @mine.body) @mine.function

(method_declaration
  name: (name) @mine.name
  body: (compound_statement) @mine.body) @mine.function

(
  (comment) @mine.doc
  .
  [(function_definition) (method_declaration)] @mine.function
  (#match? @mine.doc "^/\\*\\*"))
