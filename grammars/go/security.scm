; Go security rules for graphcode's analysis (graphcode/analysis/security.py; grammars/README.md).
; Each pattern is a rule: #set! rule, cwe, severity (high, medium, low) and message.

; ---------------------------------------------------------------- OS command injection
((call_expression function: (selector_expression operand: (identifier) @_p field: (field_identifier) @_f)
   arguments: (argument_list . (interpreted_string_literal) @_sh . (interpreted_string_literal) @_c
   . (_) @security.sink)) @security
  (#eq? @_p "exec") (#any-of? @_f "Command" "CommandContext")
  (#match? @_sh "^\"(/bin/)?(ba)?sh\"$") (#eq? @_c "\"-c\"")
  (#set! rule "go-command-shell") (#set! cwe "CWE-78") (#set! severity "high")
  (#set! message "a shell runs a command line built by the program"))
((call_expression function: (selector_expression operand: (identifier) @_p field: (field_identifier) @_f)
   arguments: (argument_list . [(identifier) (binary_expression) (call_expression)] @security.sink)) @security
  (#eq? @_p "exec") (#eq? @_f "Command")
  (#set! rule "go-command-exec") (#set! cwe "CWE-78") (#set! severity "medium")
  (#set! message "the program to run is computed by the program"))

; ---------------------------------------------------------------- SQL built from strings
((call_expression function: (selector_expression field: (field_identifier) @_f)
   arguments: (argument_list . [(binary_expression left: (interpreted_string_literal))
                                (call_expression function: (selector_expression operand: (identifier) @_fmt
                                                                               field: (field_identifier) @_s))]
   @security.sink)) @security
  (#any-of? @_f "Query" "QueryRow" "Exec" "QueryContext" "ExecContext" "Prepare")
  (#set! rule "go-sql-string") (#set! cwe "CWE-89") (#set! severity "high")
  (#set! message "an SQL statement built from strings is passed to the database"))

; ---------------------------------------------------------------- weak hashes
((call_expression function: (selector_expression operand: (identifier) @_p field: (field_identifier) @_f)) @security
  (#any-of? @_p "md5" "sha1") (#any-of? @_f "New" "Sum")
  (#set! rule "go-weak-hash") (#set! cwe "CWE-327") (#set! severity "medium") (#set! confidence "high")
  (#set! message "MD5 and SHA-1 are broken for security uses"))

; ---------------------------------------------------------------- hard-coded credentials
((short_var_declaration left: (expression_list . (identifier) @_name)
   right: (expression_list . (interpreted_string_literal) @_value)) @security
  (#match? @_name "(?i)(pass(word|wd)?|secret(_?key)?|token|api_?key|private_?key|credential)s?$")
  (#not-eq? @_value "\"\"")
  (#set! rule "go-hardcoded-credential") (#set! cwe "CWE-798") (#set! severity "medium") (#set! confidence "medium")
  (#set! message "a credential is written in the source"))
((const_spec name: (identifier) @_name value: (expression_list . (interpreted_string_literal) @_value)) @security
  (#match? @_name "(?i)(pass(word|wd)?|secret(_?key)?|token|api_?key|private_?key|credential)s?$")
  (#not-eq? @_value "\"\"")
  (#set! rule "go-hardcoded-credential") (#set! cwe "CWE-798") (#set! severity "medium") (#set! confidence "medium")
  (#set! message "a credential is written in the source"))

; ---------------------------------------------------------------- disabled TLS verification
((keyed_element . (literal_element (identifier) @_k) . (literal_element (true))) @security
  (#eq? @_k "InsecureSkipVerify")
  (#set! rule "go-tls-unverified") (#set! cwe "CWE-295") (#set! severity "high") (#set! confidence "high")
  (#set! message "InsecureSkipVerify: true turns off TLS certificate checks"))

; ---------------------------------------------------------------- insecure temporary files
((call_expression function: (selector_expression operand: (identifier) @_p field: (field_identifier) @_f)
   arguments: (argument_list . (interpreted_string_literal) @_path)) @security
  (#eq? @_p "os") (#any-of? @_f "Create" "OpenFile" "WriteFile")
  (#match? @_path "^\"/(var/)?tmp/")
  (#set! rule "go-insecure-tempfile") (#set! cwe "CWE-377") (#set! severity "medium") (#set! confidence "medium")
  (#set! message "a fixed path in a shared temporary folder can be taken or linked by another user"))
