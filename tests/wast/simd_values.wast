;; v128 values across the JavaScript boundary: every lane shape as an argument and as a result, NaN
;; payloads lane by lane, several results, and v128 globals, exported and imported. Expected values are
;; worked out by hand: lane 0 sits in the lowest bytes (spec 5.2.3, v128.const's 16 little-endian bytes),
;; and a runtime must hand back exactly the bits it was given.
(module $lanes
  (func (export "id") (param v128) (result v128) (local.get 0))
  (func (export "swap") (param v128 v128) (result v128 v128) (local.get 1) (local.get 0))
  (func (export "mixed") (param i32 v128 f64) (result f64 v128 i32) (local.get 2) (local.get 1) (local.get 0))
  (func (export "low64") (param v128) (result i64) (i64x2.extract_lane 0 (local.get 0)))
  (func (export "high64") (param v128) (result i64) (i64x2.extract_lane 1 (local.get 0)))
  (func (export "f32_add") (param v128 v128) (result v128) (f32x4.add (local.get 0) (local.get 1)))
  (func (export "f64_mul") (param v128 v128) (result v128) (f64x2.mul (local.get 0) (local.get 1)))
  (global (export "g") v128 (v128.const i32x4 1 2 3 4))
  (global $m (export "m") (mut v128) (v128.const f32x4 nan:0x200001 -nan:0x1 1.5 -0))
  (func (export "set_m") (param v128) (global.set $m (local.get 0))))

;; each lane shape, in and out
(assert_return (invoke "id" (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 0xff))
               (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -1))
(assert_return (invoke "id" (v128.const i16x8 -1 0 0x7fff -0x8000 1 2 3 4)) (v128.const i16x8 0xffff 0 32767 32768 1 2 3 4))
(assert_return (invoke "id" (v128.const i32x4 0xffff_ffff 0 0x8000_0000 1)) (v128.const i32x4 -1 0 -2147483648 1))
(assert_return (invoke "id" (v128.const i64x2 0x0123_4567_89ab_cdef -1)) (v128.const i64x2 0x0123_4567_89ab_cdef -1))
(assert_return (invoke "id" (v128.const f32x4 1.5 -0 inf -inf)) (v128.const f32x4 1.5 -0 inf -inf))
(assert_return (invoke "id" (v128.const f64x2 0x1p-1074 -0x1.fffffffffffffp+1023))
               (v128.const f64x2 0x1p-1074 -0x1.fffffffffffffp+1023))
;; the shapes are views of the same 128 bits
(assert_return (invoke "id" (v128.const i8x16 1 0 0 0 2 0 0 0 3 0 0 0 4 0 0 0)) (v128.const i32x4 1 2 3 4))
(assert_return (invoke "id" (v128.const i32x4 1 2 3 4)) (v128.const i64x2 0x2_0000_0001 0x4_0000_0003))
(assert_return (invoke "id" (v128.const f32x4 1 -2 0.5 0)) (v128.const i32x4 0x3f80_0000 0xc000_0000 0x3f00_0000 0))
;; lane 0 is the low half, inside the module too
(assert_return (invoke "low64" (v128.const i64x2 7 9)) (i64.const 7))
(assert_return (invoke "high64" (v128.const i64x2 7 9)) (i64.const 9))
;; NaN payloads and signs survive, signalling ones included
(assert_return (invoke "id" (v128.const f32x4 nan:0x200001 -nan:0x1 nan:0x400000 -nan))
               (v128.const i32x4 0x7fa0_0001 0xff80_0001 0x7fc0_0000 0xffc0_0000))
(assert_return (invoke "id" (v128.const f32x4 nan:0x200001 -nan:0x1 nan:0x400000 -nan))
               (v128.const f32x4 nan:0x200001 -nan:0x1 nan:0x400000 -nan))
(assert_return (invoke "id" (v128.const f64x2 nan:0x4_0000_0000_0001 -nan:0x1))
               (v128.const i64x2 0x7ff4_0000_0000_0001 0xfff0_0000_0000_0001))
;; NaN patterns lane by lane: a canonical NaN operand gives a canonical NaN, a signalling one an
;; arithmetic NaN (spec 4.3.3, fadd and fmul: nans); the other lanes are exact
(assert_return (invoke "f32_add" (v128.const f32x4 nan 1 nan:0x200000 2) (v128.const f32x4 1 2 1 0.5))
               (v128.const f32x4 nan:canonical 3 nan:arithmetic 2.5))
(assert_return (invoke "f64_mul" (v128.const f64x2 3 -nan:0x1) (v128.const f64x2 0.5 2))
               (v128.const f64x2 1.5 nan:arithmetic))
;; several results, v128 among other types
(assert_return (invoke "swap" (v128.const i32x4 1 2 3 4) (v128.const i64x2 -1 0))
               (v128.const i64x2 -1 0) (v128.const i32x4 1 2 3 4))
(assert_return (invoke "mixed" (i32.const 7) (v128.const i16x8 1 2 3 4 5 6 7 8) (f64.const nan:0x8_0000_0000_0001))
               (f64.const nan:0x8_0000_0000_0001) (v128.const i16x8 1 2 3 4 5 6 7 8) (i32.const 7))
;; globals: 1.5 is 0x3fc0_0000 and -0 is 0x8000_0000 as f32 bits
(assert_return (get "g") (v128.const i32x4 1 2 3 4))
(assert_return (get "m") (v128.const i32x4 0x7fa0_0001 0xff80_0001 0x3fc0_0000 0x8000_0000))
(invoke "set_m" (v128.const f64x2 -nan:0x1 0x1p-1074))
(assert_return (get "m") (v128.const i64x2 0xfff0_0000_0000_0001 1))

;; imported: a v128 global and a function with v128 parameters and results, through another module
(register "lanes" $lanes)
(module
  (import "lanes" "m" (global $m (mut v128)))
  (import "lanes" "swap" (func $swap (param v128 v128) (result v128 v128)))
  (export "m" (global $m))
  (func (export "second") (param v128 v128) (result v128) (drop (call $swap (local.get 0) (local.get 1)))))
(assert_return (get "m") (v128.const f64x2 -nan:0x1 0x1p-1074))
(assert_return (invoke "second" (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16) (v128.const i64x2 5 6))
               (v128.const i64x2 5 6))
