; inherits: javascript
; TSX: JavaScript's mining query (grammars/javascript/mine.scm).
