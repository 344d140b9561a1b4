; Mining query for `graphcode mine` (captures documented in graphcode/data/mine.py); C++ inherits it.
;
; @mine.function  the function definition (one example per node)
; @mine.name      its name
; @mine.body      its body block
; @mine.doc       the comment right above it (a `/** ... */` block, or consecutive `//` or `///` lines);
;                 the first pattern in this file that gives a function a doc wins.

(function_definition
  declarator: (function_declarator declarator: (identifier) @mine.name)
  body: (compound_statement) @mine.body) @mine.function

(function_definition
  declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @mine.name))
  body: (compound_statement) @mine.body) @mine.function

(
  (comment) @mine.doc
  .
  (function_definition) @mine.function
  (#match? @mine.doc "^/\\*\\*"))

(
  (comment)+ @mine.doc
  .
  (function_definition) @mine.function
  (#match? @mine.doc "^//"))
