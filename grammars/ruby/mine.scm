; Mining query for `graphcode mine` (captures documented in graphcode/data/mine.py).
;
; @mine.function  the method (one example per node)
; @mine.name      its name
; @mine.body      its body
; @mine.doc       the `#` comments right above it

(method
  name: (_) @mine.name
  body: (body_statement) @mine.body) @mine.function

(
  (comment)+ @mine.doc
  .
  (method) @mine.function)
