; Mining query for `graphcode mine` (captures documented in graphcode/data/mine.py).
;
; @mine.function  the method or constructor (one example per node)
; @mine.name      its name
; @mine.body      its body block
; @mine.doc       the `///` XML doc comments right above it (attributes may sit between).

(method_declaration
  name: (identifier) @mine.name
  body: (block) @mine.body) @mine.function

(constructor_declaration
  name: (identifier) @mine.name
  body: (block) @mine.body) @mine.function

(
  (comment)+ @mine.doc
  .
  [(method_declaration) (constructor_declaration)] @mine.function
  (#match? @mine.doc "^///"))
