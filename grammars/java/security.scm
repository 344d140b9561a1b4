; Java security rules for graphcode's analysis (graphcode/analysis/security.py; grammars/README.md).
; Each pattern is a rule: #set! rule, cwe, severity (high, medium, low) and message. @security is where the
; finding is reported; @security.sink the value whose data flow sets the confidence.

; ---------------------------------------------------------------- code execution
((method_invocation name: (identifier) @_f arguments: (argument_list . (_) @security.sink)) @security
  (#eq? @_f "eval")
  (#set! rule "java-script-eval") (#set! cwe "CWE-95") (#set! severity "high")
  (#set! message "a script engine evaluates a string as code"))

; ---------------------------------------------------------------- OS command injection
((method_invocation object: (method_invocation name: (identifier) @_g) name: (identifier) @_f
   arguments: (argument_list . (_) @security.sink)) @security
  (#eq? @_g "getRuntime") (#eq? @_f "exec")
  (#set! rule "java-runtime-exec") (#set! cwe "CWE-78") (#set! severity "high")
  (#set! message "Runtime.exec runs a command line built by the program"))
((object_creation_expression type: (type_identifier) @_t arguments: (argument_list . (string_literal) @_sh
   . (string_literal) @_c . (_) @security.sink)) @security
  (#eq? @_t "ProcessBuilder")
  (#match? @_sh "^\"(/bin/)?(ba)?sh\"$") (#eq? @_c "\"-c\"")
  (#set! rule "java-runtime-exec") (#set! cwe "CWE-78") (#set! severity "high")
  (#set! message "a shell runs a command line built by the program"))

; ---------------------------------------------------------------- unsafe deserialisation
((object_creation_expression type: (type_identifier) @_t arguments: (argument_list . (_) @security.sink)) @security
  (#any-of? @_t "ObjectInputStream" "XMLDecoder")
  (#set! rule "java-unsafe-deserialization") (#set! cwe "CWE-502") (#set! severity "high")
  (#set! message "deserialising a stream can build arbitrary objects and run their code"))

; ---------------------------------------------------------------- SQL built from strings
((method_invocation name: (identifier) @_f arguments: (argument_list . (binary_expression) @security.sink)) @security
  (#any-of? @_f "executeQuery" "executeUpdate" "execute" "prepareStatement" "addBatch" "createQuery"
                "createNativeQuery")
  (#set! rule "java-sql-string") (#set! cwe "CWE-89") (#set! severity "high")
  (#set! message "an SQL statement built from strings is passed to the database"))

; ---------------------------------------------------------------- weak hashes
((method_invocation object: (identifier) @_c name: (identifier) @_f arguments: (argument_list . (string_literal) @_a))
  @security
  (#eq? @_c "MessageDigest") (#eq? @_f "getInstance")
  (#match? @_a "^\"(MD5|MD4|MD2|SHA-?1|SHA)\"$")
  (#set! rule "java-weak-hash") (#set! cwe "CWE-327") (#set! severity "medium") (#set! confidence "high")
  (#set! message "MD5 and SHA-1 are broken for security uses"))

; ---------------------------------------------------------------- hard-coded credentials
((variable_declarator name: (identifier) @_name value: (string_literal) @_value) @security
  (#match? @_name "(?i)(pass(word|wd)?|secret(_?key)?|token|api_?key|private_?key|credential)s?$")
  (#not-eq? @_value "\"\"")
  (#set! rule "java-hardcoded-credential") (#set! cwe "CWE-798") (#set! severity "medium")
  (#set! confidence "medium")
  (#set! message "a credential is written in the source"))

; ---------------------------------------------------------------- disabled TLS verification
((identifier) @security
  (#any-of? @security "ALLOW_ALL_HOSTNAME_VERIFIER" "NoopHostnameVerifier" "TrustAllStrategy"
                      "InsecureTrustManagerFactory")
  (#set! rule "java-tls-unverified") (#set! cwe "CWE-295") (#set! severity "high") (#set! confidence "high")
  (#set! message "a verifier or trust manager that accepts every certificate or host"))
((type_identifier) @security
  (#any-of? @security "NoopHostnameVerifier" "TrustAllStrategy" "InsecureTrustManagerFactory")
  (#set! rule "java-tls-unverified") (#set! cwe "CWE-295") (#set! severity "high") (#set! confidence "high")
  (#set! message "a verifier or trust manager that accepts every certificate or host"))

; ---------------------------------------------------------------- insecure temporary files
((object_creation_expression type: (type_identifier) @_t arguments: (argument_list . (string_literal) @_p)) @security
  (#eq? @_t "File")
  (#match? @_p "^\"/(var/)?tmp/")
  (#set! rule "java-insecure-tempfile") (#set! cwe "CWE-377") (#set! severity "medium") (#set! confidence "medium")
  (#set! message "a fixed path in a shared temporary folder can be taken or linked by another user"))
