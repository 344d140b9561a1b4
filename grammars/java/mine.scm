; Mining query for `graphcode mine` (captures documented in graphcode/data/mine.py).
;
; @mine.function  the method or constructor (one example per node)
; @mine.name      its name
; @mine.body      its body block
; @mine.doc       the comment right above it (a Javadoc block, or consecutive line comments);
;                 the first pattern in this file that gives a function a doc wins.
; Annotations belong to the declaration's modifiers, so a Javadoc above `@Override` still matches.

(method_declaration
  name: (identifier) @mine.name
  body: (block) @mine.body) @mine.function

(constructor_declaration
  name: (identifier) @mine.name
  body: (constructor_body) @mine.body) @mine.function

(
  (block_comment) @mine.doc
  .
  [(method_declaration) (constructor_declaration)] @mine.function)

(
  (line_comment)+ @mine.doc
  .
  [(method_declaration) (constructor_declaration)] @mine.function)
