;; 64-bit memories (memory64, WebAssembly 3.0): every assertion here must hold on the reference model,
;; judged by 3.0 rules. Expected values are worked out by hand from the 3.0 spec (4.3, memory instructions:
;; the effective address is address + offset, without wrapping; a range past the memory's length traps).
(module $wide
  (memory $m (export "memory") i64 1 4)
  (data (i64.const 8) "\01\02\03\04\05\06\07\08")
  (data $passive "wasm")
  (func (export "load") (param i64) (result i64) (i64.load (local.get 0)))
  (func (export "load_far") (param i64) (result i32) (i32.load8_u offset=0x1_0000_0000 (local.get 0)))
  (func (export "load_top") (param i64) (result i32) (i32.load8_u offset=0xffff_ffff_ffff_ffff (local.get 0)))
  (func (export "store") (param i64 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "size") (result i64) (memory.size))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "fill") (param i64 i32 i64) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i64 i64 i64) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i64 i32 i32) (memory.init $passive (local.get 0) (local.get 1) (local.get 2))))
(assert_return (invoke "load" (i64.const 8)) (i64.const 0x0807_0605_0403_0201))
(assert_return (invoke "load" (i64.const 65528)) (i64.const 0))
(assert_trap (invoke "load" (i64.const 65529)) "out of bounds memory access")
;; past 4 GiB is out of bounds: an address is never wrapped to 32 bits
(assert_trap (invoke "load" (i64.const 0x1_0000_0008)) "out of bounds memory access")
(assert_trap (invoke "load_far" (i64.const 0)) "out of bounds memory access")
;; 8 + (2^64 - 1) is beyond 2^64: out of bounds, not wrapped round to 7
(assert_trap (invoke "load_top" (i64.const 8)) "out of bounds memory access")
;; memory.size and memory.grow count pages in i64; a failed grow is -1 as an i64 (2^64 - 1)
(assert_return (invoke "size") (i64.const 1))
(assert_return (invoke "grow" (i64.const 2)) (i64.const 1))
(assert_return (invoke "size") (i64.const 3))
(assert_return (invoke "grow" (i64.const 2)) (i64.const -1))
(assert_return (invoke "grow" (i64.const 0x1_0000_0000)) (i64.const 0xffff_ffff_ffff_ffff))
(assert_return (invoke "load" (i64.const 0x2_fff8)) (i64.const 0))
(assert_trap (invoke "load" (i64.const 0x2_fff9)) "out of bounds memory access")
;; bulk instructions take i64 addresses and lengths
(invoke "fill" (i64.const 0x1_0000) (i32.const 0xab) (i64.const 3))
(assert_return (invoke "load" (i64.const 0xffff)) (i64.const 0xabab_ab00))
(assert_trap (invoke "fill" (i64.const 0x2_ffff) (i32.const 1) (i64.const 2)) "out of bounds memory access")
(assert_trap (invoke "fill" (i64.const 0) (i32.const 1) (i64.const 0x1_0000_0000)) "out of bounds memory access")
(invoke "copy" (i64.const 0x2_0000) (i64.const 8) (i64.const 8))
(assert_return (invoke "load" (i64.const 0x2_0000)) (i64.const 0x0807_0605_0403_0201))
(assert_trap (invoke "copy" (i64.const 0x2_fffc) (i64.const 8) (i64.const 8)) "out of bounds memory access")
(invoke "init" (i64.const 100) (i32.const 1) (i32.const 3))
(assert_return (invoke "load" (i64.const 100)) (i64.const 0x6d_7361))
(assert_trap (invoke "init" (i64.const 0x2_fffe) (i32.const 0) (i32.const 3)) "out of bounds memory access")

;; A memory one page past 4 GiB: bounds are checked there, and only written pages take space.
(module
  (memory i64 0x1_0001)
  (func (export "store") (param i64 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "load") (param i64) (result i64) (i64.load (local.get 0)))
  (func (export "size") (result i64) (memory.size)))
(assert_return (invoke "size") (i64.const 0x1_0001))
(assert_return (invoke "load" (i64.const 0x1_0000_fff8)) (i64.const 0))
(invoke "store" (i64.const 0x1_0000_fff8) (i64.const 42))
(assert_return (invoke "load" (i64.const 0x1_0000_fff8)) (i64.const 42))
(assert_trap (invoke "load" (i64.const 0x1_0000_fff9)) "out of bounds memory access")

;; Data segments take i64 offsets; one past the end traps at instantiation.
(assert_trap (module (memory i64 1) (data (i64.const 65535) "ab")) "out of bounds memory access")

;; Imports: address types must be equal, and the limits match as for 32-bit memories.
(register "wide" $wide)
(module
  (import "wide" "memory" (memory i64 2))
  (func (export "load") (param i64) (result i64) (i64.load (local.get 0))))
(assert_return (invoke "load" (i64.const 0x2_0000)) (i64.const 0x0807_0605_0403_0201))
(assert_unlinkable (module (import "wide" "memory" (memory 1))) "incompatible import type")
(assert_unlinkable (module (import "wide" "memory" (memory i64 4))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "memory" (memory i64 1))) "incompatible import type")

;; Validation: addresses are i64, 32-bit memories keep offsets below 2^32, and limits stay within 2^48 pages.
(assert_invalid (module (memory i64 1) (func (drop (i32.load (i32.const 0))))) "type mismatch")
(assert_invalid (module (memory i64 1) (func (result i32) (memory.size))) "type mismatch")
(assert_invalid (module (memory i64 1) (func (drop (memory.grow (i32.const 1))))) "type mismatch")
(assert_invalid (module (memory i64 1) (data (i32.const 0) "")) "type mismatch")
(assert_invalid (module (memory 1) (func (drop (i32.load offset=0x1_0000_0000 (i32.const 0))))) "offset out of range")
(assert_invalid (module (memory i64 0x1_0000_0000_0001)) "memory size")
(module definition (memory i64 0x1_0000_0000_0000))
