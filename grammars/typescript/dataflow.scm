; inherits: javascript
; TypeScript control flow and assignments: JavaScript's (grammars/javascript/dataflow.scm), plus
; TypeScript's parameter defaults.
(required_parameter pattern: (_) @flow.target value: (_) @flow.value)
(optional_parameter pattern: (_) @flow.target value: (_) @flow.value)
