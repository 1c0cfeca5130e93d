;; Modules WebAssembly 3.0 makes valid and 2.0 does not. By 3.0 rules every command here passes; by 2.0
;; rules every one fails, for the reason its comment names (tests/test_wast_runner.py runs both).
(module (memory 1) (memory 1))                                         ;; several memories
(module (memory i64 1))                                                ;; limits flags 0x04: a 64-bit memory
(module binary                                                         ;; global.get of a defined global
  "\00asm" "\01\00\00\00"                                              ;; (as text, wabt 1.0.39 rejects it:
  "\05\03\01\00\01"                                                    ;; its validator keeps the 2.0 rule)
  "\06\06\01\7f\00\41\04\0b"                                           ;; (global $g i32 (i32.const 4))
  "\0b\07\01\00\23\00\0b\01\78"                                        ;; (data (global.get $g) "x")
)
(module (memory 1) (data (i32.add (i32.const 1) (i32.const 2)) "x"))  ;; an extended constant expression
(module binary                                                         ;; a memory index as a LEB zero
  "\00asm" "\01\00\00\00"
  "\01\04\01\60\00\00" "\03\02\01\00" "\05\03\01\00\01"
  "\0a\08\01\06\00\3f\80\00\1a\0b"                                     ;; (drop (memory.size)): index 80 00
)
