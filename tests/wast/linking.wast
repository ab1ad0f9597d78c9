;; Module-linking features through the whole pipeline, each with its
;; failing counterpart. Run by tests/wast_test.ts (messages are checked).

;; Two-level imports form an implicit instance, which is aliased and passed on.
(module $env
  (func (export "seven") (result i32) i32.const 7)
  (global (export "g") i32 (i32.const 35)))
(module
  (import "env" "seven" (func $seven (result i32)))
  (import "env" "g" (global $g i32))
  (module $user
    (import "e" (instance $e (export "seven" (func (result i32))) (export "g" (global i32))))
    (func (export "sum") (result i32)
      call (func $e "seven")
      global.get (global $e "g")
      i32.add))
  (instance $u (instantiate $user (import "e" (instance 0))))
  (func (export "sum") (result i32) call (func $u "sum")))
(assert_return (invoke "sum") (i32.const 42))

;; An exported module closes over the module imported for its instance.
(module $factory
  (module (export "make")
    (import "m" (module $m (export "f" (func (result i32)))))
    (module (export "closure")
      (instance $i (instantiate (module outer 0 $m)))
      (func (export "f") (result i32) call (func $i "f")))))
(module
  (import "factory" "make" (module $make
    (import "m" (module (export "f" (func (result i32)))))
    (export "closure" (module (export "f" (func (result i32)))))))
  (module $one (func (export "f") (result i32) i32.const 1))
  (module $two (func (export "f") (result i32) i32.const 2))
  (instance $a (instantiate $make (import "m" (module $one))))
  (instance $b (instantiate $make (import "m" (module $two))))
  (instance $ca (instantiate (module $a "closure")))
  (instance $cb (instantiate (module $b "closure")))
  (func (export "a") (result i32) call (func $ca "f"))
  (func (export "b") (result i32) call (func $cb "f")))
(assert_return (invoke "a") (i32.const 1))
(assert_return (invoke "b") (i32.const 2))

;; Instance exports are looked up by name under subtyping: the expected type
;; lists them in another order, and the provider has more.
(module $provider
  (func (export "x") (result i32) i32.const 10)
  (func (export "extra"))
  (func (export "y") (result i32) i32.const 20))
(module
  (import "provider" (instance $p
    (export "y" (func (result i32)))
    (export "x" (func (result i32)))))
  (func (export "y-x") (result i32)
    call (func $p "y")
    call (func $p "x")
    i32.sub))
(assert_return (invoke "y-x") (i32.const 10))

;; A diamond: two instances share one memory owned by a third.
(module
  (module $mem (memory (export "m") 1))
  (module $writer
    (import "m" (memory 1))
    (func (export "w") (param i32 i32) local.get 0 local.get 1 i32.store))
  (module $reader
    (import "m" (memory 1))
    (func (export "r") (param i32) (result i32) local.get 0 i32.load))
  (instance $m (instantiate $mem))
  (instance $w (instantiate $writer (import "m" (memory $m "m"))))
  (instance $r (instantiate $reader (import "m" (memory $m "m"))))
  (func (export "round") (result i32)
    i32.const 8 i32.const 1234 call (func $w "w")
    i32.const 8 call (func $r "r")))
(assert_return (invoke "round") (i32.const 1234))

;; Validation rules, with our messages.
(assert_invalid
  (module (module $c) (instance $i (instantiate $c)) (alias $i "nope" (func)))
  "unknown instance export \"nope\"")
(assert_invalid
  (module (import "x" (func)) (import "x" (global i32)))
  "duplicate import name \"x\"")
(assert_invalid
  (module (module $c (import "f" (func))) (instance (instantiate $c)))
  "missing argument \"f\"")
(assert_invalid
  (module
    (import "h" (func $h))
    (module $c (import "f" (func (param i32))))
    (instance (instantiate $c (import "f" (func $h)))))
  "expected (func (param i32)), got (func)")
(assert_invalid
  (module (module $c) (export "a" (module $c)) (export "a" (module $c)))
  "duplicate export name \"a\"")
(assert_malformed
  (module quote "(module (instance (instantiate $nope)))")
  "unknown module $nope")
(assert_malformed
  (module quote "(module (module $in (alias outer $out $later (module))) (module $later))")
  "unknown")
(assert_unlinkable
  (module (import "provider" (instance (export "x" (func (result i64))))))
  "incompatible import type for `provider`")
(assert_unlinkable
  (module (import "provider" (instance (export "z" (func)))))
  "missing export \"z\"")

;; Outer type aliases, and instance and module exports.
(module
  (type $t (func (param i32) (result i32)))
  (module $inc
    (alias outer 0 $t (type $u))
    (func (export "inc") (type $u) local.get 0 i32.const 1 i32.add))
  (module $holder
    (module $inner (func (export "two") (result i32) i32.const 2))
    (instance (export "i") (instantiate $inner))
    (export "m" (module $inner)))
  (instance $h (instantiate $holder))
  (instance $again (instantiate (module $h "m")))
  (instance $incs (instantiate $inc))
  (func (export "four") (result i32)
    call (func $h "i" "two")
    call (func $again "two")
    i32.add)
  (func (export "inc") (param i32) (result i32) local.get 0 call (func $incs "inc")))
(assert_return (invoke "four") (i32.const 4))
(assert_return (invoke "inc" (i32.const 41)) (i32.const 42))

;; Extra instantiate arguments are ignored; start functions run children first.
(module $cell
  (global (export "g") (mut i32) (i32.const 0))
  (func (export "get") (result i32) global.get 0))
(module
  (import "cell" "g" (global $log (mut i32)))
  (module $child
    (import "g" (global (mut i32)))
    (func $s global.get 0 i32.const 10 i32.mul i32.const 1 i32.add global.set 0)
    (start $s))
  (instance (instantiate $child (import "g" (global $log)) (import "unused" (global $log))))
  (instance (instantiate $child (import "g" (global $log)))))
(assert_return (invoke $cell "get") (i32.const 11))

(assert_invalid
  (module
    (import "spectest" "global_i32" (global $g i32))
    (module $c (import "f" (func)))
    (instance (instantiate $c (import "f" (global $g)))))
  "argument \"f\": expected func, got global")
(assert_invalid
  (module
    (import "f" (func $f))
    (module $c (import "f" (func)))
    (instance (instantiate $c (import "f" (func $f)) (import "f" (func $f)))))
  "duplicate argument name \"f\"")
(assert_invalid
  (module
    (module $c (import "m" (module (export "x" (func)))))
    (module $d)
    (instance (instantiate $c (import "m" (module $d)))))
  "missing export \"x\"")
(assert_invalid
  (module
    (module $c (import "m" (module)))
    (module $d (import "needs" (func)))
    (instance (instantiate $c (import "m" (module $d)))))
  "module imports \"needs\", which the expected module type does not provide")
(assert_unlinkable
  (module (import "factory" "make" (module (export "closure" (module (export "f" (func (result i64))))))))
  "incompatible import type for `factory`")
(assert_invalid
  (module
    (module $c (import "f" (func)))
    (instance (instantiate $c (import "f" (func $local))))
    (func $local))
  "local definitions come later in binary order")
