; JavaScript security rules for graphcode's analysis (graphcode/analysis/security.py; grammars/README.md);
; TypeScript and TSX inherit them. Each pattern is a rule: #set! rule, cwe, severity and message.

; ---------------------------------------------------------------- code execution
((call_expression function: (identifier) @_f arguments: (arguments . (_) @security.sink)) @security
  (#eq? @_f "eval")
  (#set! rule "js-code-exec") (#set! cwe "CWE-95") (#set! severity "high")
  (#set! message "eval runs a string as code"))
((new_expression constructor: (identifier) @_f arguments: (arguments (_) @security.sink .)) @security
  (#eq? @_f "Function")
  (#set! rule "js-code-exec") (#set! cwe "CWE-95") (#set! severity "high")
  (#set! message "new Function compiles a string as code"))
((call_expression function: (identifier) @_f arguments: (arguments . [(string) (template_string) (binary_expression)]
   @security.sink)) @security
  (#any-of? @_f "setTimeout" "setInterval")
  (#set! rule "js-code-exec") (#set! cwe "CWE-95") (#set! severity "high")
  (#set! message "a timer given a string runs it as code"))

; ---------------------------------------------------------------- OS command injection
((call_expression function: [(identifier) @_f (member_expression property: (property_identifier) @_f)]
   arguments: (arguments . [(template_string (template_substitution)) (binary_expression) (identifier)]
   @security.sink)) @security
  (#any-of? @_f "exec" "execSync")
  (#set! rule "js-command-exec") (#set! cwe "CWE-78") (#set! severity "high")
  (#set! message "child_process.exec runs a command line built by the program through a shell"))

; ---------------------------------------------------------------- unsafe deserialisation
((call_expression function: [(identifier) @_f (member_expression property: (property_identifier) @_f)]
   arguments: (arguments . (_) @security.sink)) @security
  (#eq? @_f "unserialize")
  (#set! rule "js-unsafe-deserialization") (#set! cwe "CWE-502") (#set! severity "high")
  (#set! message "unserialize can run code embedded in the data"))

; ---------------------------------------------------------------- SQL built from strings
((call_expression function: (member_expression property: (property_identifier) @_f)
   arguments: (arguments . [(binary_expression left: (string)) (template_string (template_substitution))]
   @security.sink)) @security
  (#any-of? @_f "query" "execute" "raw" "exec")
  (#set! rule "js-sql-string") (#set! cwe "CWE-89") (#set! severity "high")
  (#set! message "an SQL statement built from strings is passed to the database"))

; ---------------------------------------------------------------- weak hashes
((call_expression function: (member_expression property: (property_identifier) @_f)
   arguments: (arguments . (string) @_a)) @security
  (#eq? @_f "createHash")
  (#match? @_a "^['\"](md5|md4|sha1|SHA1|MD5)['\"]$")
  (#set! rule "js-weak-hash") (#set! cwe "CWE-327") (#set! severity "medium") (#set! confidence "high")
  (#set! message "MD5 and SHA-1 are broken for security uses"))

; ---------------------------------------------------------------- hard-coded credentials
((variable_declarator name: (identifier) @_name value: (string) @_value) @security
  (#match? @_name "(?i)(pass(word|wd)?|secret(_?key)?|token|api_?key|private_?key|credential)s?$")
  (#not-match? @_value "^(''|\"\")$")
  (#set! rule "js-hardcoded-credential") (#set! cwe "CWE-798") (#set! severity "medium") (#set! confidence "medium")
  (#set! message "a credential is written in the source"))
((pair key: (property_identifier) @_name value: (string) @_value) @security
  (#match? @_name "(?i)(pass(word|wd)?|secret(_?key)?|token|api_?key|private_?key|credential)s?$")
  (#not-match? @_value "^(''|\"\")$")
  (#set! rule "js-hardcoded-credential") (#set! cwe "CWE-798") (#set! severity "medium") (#set! confidence "medium")
  (#set! message "a credential is written in the source"))

; ---------------------------------------------------------------- disabled TLS verification
((pair key: (property_identifier) @_k value: (false)) @security
  (#eq? @_k "rejectUnauthorized")
  (#set! rule "js-tls-unverified") (#set! cwe "CWE-295") (#set! severity "high") (#set! confidence "high")
  (#set! message "rejectUnauthorized: false turns off TLS certificate checks"))
((assignment_expression left: (member_expression property: (property_identifier) @_k)) @security
  (#eq? @_k "NODE_TLS_REJECT_UNAUTHORIZED")
  (#set! rule "js-tls-unverified") (#set! cwe "CWE-295") (#set! severity "high") (#set! confidence "high")
  (#set! message "NODE_TLS_REJECT_UNAUTHORIZED turns off TLS certificate checks for the process"))

; ---------------------------------------------------------------- insecure temporary files
((call_expression function: (member_expression property: (property_identifier) @_f)
   arguments: (arguments . (string) @_p)) @security
  (#any-of? @_f "writeFileSync" "writeFile" "openSync" "open" "createWriteStream")
  (#match? @_p "^['\"]/(var/)?tmp/")
  (#set! rule "js-insecure-tempfile") (#set! cwe "CWE-377") (#set! severity "medium") (#set! confidence "medium")
  (#set! message "a fixed path in a shared temporary folder can be taken or linked by another user"))
