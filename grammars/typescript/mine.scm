; inherits: javascript
; TypeScript: JavaScript's mining query (grammars/javascript/mine.scm).
