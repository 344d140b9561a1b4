; Mining query for `graphcode mine` (captures documented in graphcode/data/mine.py).
;
; @mine.function  the function or method (one example per node)
; @mine.name      its name
; @mine.body      its body block
; @mine.doc       the `//` doc comment lines right above it (Go's doc comments)

(function_declaration
  name: (identifier) @mine.name
  body: (block) @mine.body) @mine.function

(method_declaration
  name: (field_identifier) @mine.name
  body: (block) @mine.body) @mine.function

(
  (comment)+ @mine.doc
  .
  [(function_declaration) (method_declaration)] @mine.function
  (#match? @mine.doc "^//"))
