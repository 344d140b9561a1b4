; Mining query for `graphcode mine` (captures documented in graphcode/data/mine.py).
;
; @mine.function  the function (one example per function node)
; @mine.name      its name
; @mine.body      its body: statements after the docstring are the target of docstring-to-body,
;                 and completion splits the function between two of its statements
; @mine.doc       its documentation: a docstring inside the body, or comments right above it.
;                 When several patterns give a function a doc, the first pattern in this file wins.

; Every function: its name and body.
(function_definition
  name: (identifier) @mine.name
  body: (block) @mine.body) @mine.function

; A docstring: a string that is the first statement of the body.
(function_definition
  body: (block
    .
    (expression_statement
      (string) @mine.doc))) @mine.function

; Comment lines right above a function.
(
  (comment)+ @mine.doc
  .
  (function_definition) @mine.function)
