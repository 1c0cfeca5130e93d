;; Several memories in one module (multi-memory, WebAssembly 3.0): every assertion here must hold on
;; the reference model, judged by 3.0 rules. Expected values are worked out by hand.
(module $three
  (memory $a (export "a") 1)
  (memory $b (export "b") 1 2)
  (memory $c i64 1)
  (data (memory $b) (i32.const 0) "\2a")
  (data (memory $c) (i64.const 4) "\07")
  (data (i32.const 0) "\01")
  (data $p "xyz")
  (func (export "load_a") (param i32) (result i32) (i32.load8_u $a (local.get 0)))
  (func (export "load_b") (param i32) (result i32) (i32.load8_u $b (local.get 0)))
  (func (export "load_c") (param i64) (result i32) (i32.load8_u $c (local.get 0)))
  (func (export "store_b") (param i32 i32) (i32.store8 $b (local.get 0) (local.get 1)))
  (func (export "size_b") (result i32) (memory.size $b))
  (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
  (func (export "size_c") (result i64) (memory.size $c))
  (func (export "copy_a_from_b") (param i32 i32 i32) (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
  ;; from a 32-bit memory to a 64-bit one: the length has the smaller address type, i32
  (func (export "copy_c_from_a") (param i64 i32 i32) (memory.copy $c $a (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill_b") (param i32 i32 i32) (memory.fill $b (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_c") (param i64 i32 i32) (memory.init $c $p (local.get 0) (local.get 1) (local.get 2))))
;; each data segment landed in its own memory
(assert_return (invoke "load_a" (i32.const 0)) (i32.const 1))
(assert_return (invoke "load_b" (i32.const 0)) (i32.const 0x2a))
(assert_return (invoke "load_c" (i64.const 4)) (i32.const 7))
(assert_return (invoke "load_a" (i32.const 4)) (i32.const 0))
(invoke "store_b" (i32.const 9) (i32.const 5))
(assert_return (invoke "load_b" (i32.const 9)) (i32.const 5))
(assert_return (invoke "load_a" (i32.const 9)) (i32.const 0))
;; grow and size name their memory
(assert_return (invoke "grow_b" (i32.const 1)) (i32.const 1))
(assert_return (invoke "grow_b" (i32.const 1)) (i32.const -1))
(assert_return (invoke "size_b") (i32.const 2))
(assert_return (invoke "size_c") (i64.const 1))
;; copies between memories
(invoke "copy_a_from_b" (i32.const 100) (i32.const 8) (i32.const 2))
(assert_return (invoke "load_a" (i32.const 101)) (i32.const 5))
(assert_trap (invoke "copy_a_from_b" (i32.const 0) (i32.const 0x1_ffff) (i32.const 2)) "out of bounds memory access")
(assert_trap (invoke "copy_a_from_b" (i32.const 0xffff) (i32.const 0) (i32.const 2)) "out of bounds memory access")
(invoke "copy_c_from_a" (i64.const 200) (i32.const 100) (i32.const 2))
(assert_return (invoke "load_c" (i64.const 201)) (i32.const 5))
(invoke "fill_b" (i32.const 0x1_fffe) (i32.const 0xff) (i32.const 2))
(assert_return (invoke "load_b" (i32.const 0x1_ffff)) (i32.const 0xff))
(invoke "init_c" (i64.const 0xfffd) (i32.const 0) (i32.const 3))
(assert_return (invoke "load_c" (i64.const 0xffff)) (i32.const 0x7a))
(assert_trap (invoke "init_c" (i64.const 0xfffe) (i32.const 0) (i32.const 3)) "out of bounds memory access")

;; Imports of several memories, in the order the importer names them.
(register "three" $three)
(module
  (import "three" "b" (memory $x 1))
  (import "three" "a" (memory $y 1))
  (func (export "x") (param i32) (result i32) (i32.load8_u $x (local.get 0)))
  (func (export "y") (param i32) (result i32) (i32.load8_u $y (local.get 0))))
(assert_return (invoke "x" (i32.const 9)) (i32.const 5))
(assert_return (invoke "y" (i32.const 101)) (i32.const 5))
(assert_return (invoke "x" (i32.const 0x1_ffff)) (i32.const 0xff))
(assert_unlinkable (module (import "three" "b" (memory 1 1))) "incompatible import type")
(assert_unlinkable (module (import "three" "a" (memory 2))) "incompatible import type")

;; A data segment for the second memory, out of its bounds, traps at instantiation.
(assert_trap (module (memory 1) (memory 1) (data (memory 1) (i32.const 65536) "a")) "out of bounds memory access")

;; The binary encoding by hand: memarg flags 0x40 | align name a memory index (here 1), and a data
;; segment with flags 2 names its memory (here 1).
(module binary
  "\00asm" "\01\00\00\00"
  "\01\05\01\60\00\01\7f"             ;; type 0: [] -> [i32]
  "\03\02\01\00"                      ;; function 0 of type 0
  "\05\05\02\00\01\00\01"             ;; two memories of 1 page
  "\07\05\01\01\66\00\00"             ;; export "f": function 0
  "\0a\0a\01\08\00"                   ;; code: one body of 8 bytes, no locals
  "\41\05\2d\40\01\00\0b"             ;; (i32.load8_u 1 (i32.const 5)): flags 0x40, memory 1, offset 0
  "\0b\08\01\02\01\41\05\0b\01\2a"    ;; data: flags 2, memory 1, (i32.const 5), 1 byte: 0x2a
)
(assert_return (invoke "f") (i32.const 42))
(assert_malformed
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\04\01\60\00\00" "\03\02\01\00" "\05\05\02\00\01\00\01"
    "\0a\0a\01\08\00\41\00\28\80\01\00\00\1a\0b"  ;; i32.load with flags 0x80: no such memarg
  )
  "malformed memop flags"
)

;; Validation of memory indices and of the address types of a copy.
(assert_invalid (module (memory 1) (func (drop (i32.load 1 (i32.const 0))))) "unknown memory")
(assert_invalid (module (memory 1) (func (drop (memory.size 1)))) "unknown memory")
(assert_invalid (module (memory 1) (data (memory 1) (i32.const 0) "")) "unknown memory")
(assert_invalid
  (module (memory 1) (memory i64 1) (func (memory.copy 0 1 (i32.const 0) (i64.const 0) (i64.const 0))))
  "type mismatch")
