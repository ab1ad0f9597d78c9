;; Instances made of exports, `(instance (export "name" (kind $item)) …)`:
;; an extension of the 2021 proposal from its later drafts. The items are
;; the module's own imports, aliases, modules and instances; the instance is
;; aliased from, passed as an argument and exported like any other.
;; Run by tests/wast_test.ts (messages are checked).

(module $env
  (func (export "seven") (result i32) (i32.const 7))
  (global (export "g") (mut i32) (i32.const 35))
  (memory (export "mem") 1)
  (tag (export "e") (param i32)))

;; Aliases out of an instance of exports reach the items it was made of.
(module
  (import "env" "seven" (func $seven (result i32)))
  (import "env" "g" (global $g (mut i32)))
  (instance $i (export "f" (func $seven)) (export "glob" (global $g)))
  (alias $i "f" (func $f))
  (alias $i "glob" (global $h))
  (func (export "sum") (result i32) (i32.add (call $f) (global.get $h)))
  (func (export "bump") (param i32) (global.set $h (i32.add (global.get $h) (local.get 0)))))
(assert_return (invoke "sum") (i32.const 42))
(invoke "bump" (i32.const 1))
(assert_return (invoke "sum") (i32.const 43))
(assert_return (get $env "g") (i32.const 36))

;; An instance of exports satisfies an instance import of a child, with
;; fewer exports expected than it has (subtyping), in another order.
(module
  (import "env" "seven" (func $seven (result i32)))
  (import "env" "mem" (memory $mem 1))
  (module $child
    (import "deps" (instance $d
      (export "mem" (memory 1))
      (export "seven" (func (result i32)))))
    (alias $d "mem" (memory $m))
    (func (export "store-and-load") (result i32)
      (i32.store (i32.const 16) (call (func $d "seven")))
      (i32.load (i32.const 16))))
  (instance $deps (export "seven" (func $seven)) (export "mem" (memory $mem))
    (export "unused" (func $seven)))
  (instance $c (instantiate $child (import "deps" (instance $deps))))
  (alias $c "store-and-load" (func $run))
  (func (export "run") (result i32) (call $run))
  (func (export "peek") (result i32) (i32.load (i32.const 16))))
(assert_return (invoke "run") (i32.const 7))
(assert_return (invoke "peek") (i32.const 7))

;; Modules and instances go into one too; the module is instantiated from it.
(module
  (module $leaf (func (export "f") (result i32) (i32.const 5)))
  (instance $l (instantiate $leaf))
  (instance $pack (export "m" (module $leaf)) (export "l" (instance $l)))
  (alias $pack "m" (module $again))
  (instance $fresh (instantiate $again))
  (alias $pack "l" (instance $inner))
  (func (export "both") (result i32)
    (i32.add (call (func $fresh "f")) (call (func $inner "f")))))
(assert_return (invoke "both") (i32.const 10))

;; An exported instance of exports, and an empty one, seen by a later module.
(module $exporter
  (import "env" "seven" (func $seven (result i32)))
  (import "env" "e" (tag $e (param i32)))
  (instance $i (export "seven" (func $seven)) (export "e" (tag $e)))
  (instance $none)
  (export "i" (instance $i))
  (export "none" (instance $none)))
(module
  (import "exporter" "i" (instance $i
    (export "seven" (func (result i32)))
    (export "e" (tag (param i32)))))
  (import "exporter" "none" (instance))
  (alias $i "e" (tag $e))
  (func (export "catch") (result i32)
    (try (result i32)
      (do (call (func $i "seven")) (throw $e))
      (catch $e))))
(assert_return (invoke "catch") (i32.const 7))

;; An exported instance of exports is matched by the type its exporter
;; gives it: what it does not have, or has with another type, does not link.
(assert_unlinkable
  (module (import "exporter" "i" (instance (export "eight" (func (result i32))))))
  "missing export")
(assert_unlinkable
  (module (import "exporter" "i" (instance (export "seven" (func (result i64))))))
  "incompatible import type")
