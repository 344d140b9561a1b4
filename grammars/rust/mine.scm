; Mining query for `graphcode mine` (captures documented in graphcode/data/mine.py).
;
; @mine.function  the function (one example per node)
; @mine.name      its name
; @mine.body      its body block
; @mine.doc       the `///` doc comments right above it (attributes such as #[inline] may sit between).

(function_item
  name: (identifier) @mine.name
  body: (block) @mine.body) @mine.function

(
  (line_comment)+ @mine.doc
  .
  (attribute_item)*
  .
  (function_item) @mine.function
  (#match? @mine.doc "^///"))
