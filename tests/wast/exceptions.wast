;; Exception handling across module-linking instances: tags defined,
;; exported, imported, aliased and passed as arguments; try/catch,
;; catch_all, rethrow and delegate; exceptions that reach the script.
;; Run by tests/wast_test.ts (messages are checked).

;; One module: throw and catch its own tag, with and without values.
(module $local
  (tag $e (param i32))
  (tag $empty)
  (func $throw (export "throw") (param i32) (local.get 0) (throw $e))
  (func (export "catch") (param i32) (result i32)
    (try (result i32)
      (do (call $throw (local.get 0)) (i32.const -1))
      (catch $e (i32.const 1) (i32.add))))
  (func (export "catch-all") (result i32)
    (try (result i32)
      (do (throw $empty))
      (catch $e (drop) (i32.const 1))
      (catch_all (i32.const 2))))
  ;; rethrow from a catch_all keeps the exception and its values.
  (func (export "rethrow") (param i32) (result i32)
    (try (result i32)
      (do
        (try (do (call $throw (local.get 0))) (catch_all (rethrow 0)))
        (i32.const -1))
      (catch $e)))
  ;; delegate hands the exception to an outer try, skipping the inner catch.
  (func (export "delegate") (result i32)
    (try $outer (result i32)
      (do
        (try (result i32)
          (do
            (try (do (call $throw (i32.const 5))) (delegate $outer))
            (i32.const -1))
          (catch $e (drop) (i32.const 100))))
      (catch $e (i32.const 10) (i32.add))))
  (export "e" (tag $e)))
(assert_return (invoke "catch" (i32.const 41)) (i32.const 42))
(assert_return (invoke "catch-all") (i32.const 2))
(assert_return (invoke "rethrow" (i32.const 7)) (i32.const 7))
(assert_return (invoke "delegate") (i32.const 15))
(assert_exception (invoke "throw" (i32.const 3)))
(register "local" $local)

;; A tag made by one instance is caught through an alias in another.
(module $across
  (module $thrower
    (tag $e (export "e") (param i32))
    (func (export "throw") (param i32) (local.get 0) (throw $e)))
  (instance $t (instantiate $thrower))
  (alias $t "e" (tag $e))
  (alias $t "throw" (func $throw))
  (func (export "catch") (param i32) (result i32)
    (try (result i32)
      (do (call $throw (local.get 0)) (i32.const -1))
      (catch $e)))
  (func (export "throw") (param i32) (call $throw (local.get 0))))
(assert_return (invoke "catch" (i32.const 9)) (i32.const 9))
(assert_exception (invoke "throw" (i32.const 9)))

;; A tag passed as an argument: the child catches what its sibling throws.
(module
  (module $thrower
    (tag $e (export "e") (param i64))
    (func (export "throw") (param i64) (local.get 0) (throw $e)))
  (module $catcher
    (import "e" (tag $e (param i64)))
    (import "throw" (func $throw (param i64)))
    (func (export "catch") (param i64) (result i64)
      (try (result i64)
        (do (call $throw (local.get 0)) (i64.const -1))
        (catch $e))))
  (instance $t (instantiate $thrower))
  (alias $t "e" (tag $e))
  (alias $t "throw" (func $throw))
  (instance $c (instantiate $catcher (import "e" (tag $e)) (import "throw" (func $throw))))
  (alias $c "catch" (func $catch))
  (export "catch" (func $catch)))
(assert_return (invoke "catch" (i64.const 1234567890123)) (i64.const 1234567890123))

;; Tag identity: two instances of one module have distinct tags, and a tag
;; re-exported by another instance is the same tag.
(module $identity
  (module $thrower
    (tag $e (export "e"))
    (func (export "throw") (throw $e)))
  (module $reexport
    (import "e" (tag $e))
    (export "e" (tag $e)))
  (instance $a (instantiate $thrower))
  (instance $b (instantiate $thrower))
  (alias $a "e" (tag $ea))
  (alias $a "throw" (func $throw-a))
  (alias $b "throw" (func $throw-b))
  (instance $r (instantiate $reexport (import "e" (tag $ea))))
  (alias $r "e" (tag $re))
  ;; 1 when $ea catches it, 2 when only catch_all does.
  (func (export "a-catches-a") (result i32)
    (try (result i32) (do (call $throw-a) (i32.const 0)) (catch $ea (i32.const 1))
      (catch_all (i32.const 2))))
  (func (export "a-catches-b") (result i32)
    (try (result i32) (do (call $throw-b) (i32.const 0)) (catch $ea (i32.const 1))
      (catch_all (i32.const 2))))
  (func (export "reexported-catches-a") (result i32)
    (try (result i32) (do (call $throw-a) (i32.const 0)) (catch $re (i32.const 1))
      (catch_all (i32.const 2))))
  (export "throw-b" (func $throw-b))
  (export "e" (tag $ea))
  (export "same" (tag $re)))
(assert_return (invoke "a-catches-a") (i32.const 1))
(assert_return (invoke "a-catches-b") (i32.const 2))
(assert_return (invoke "reexported-catches-a") (i32.const 1))
(assert_exception (invoke "throw-b"))

;; Tags cross the boundary between scripts' modules as WebAssembly.Tag
;; objects: the importer catches what the exporter throws.
(module
  (import "local" "e" (tag $e (param i32)))
  (import "local" "throw" (func $throw (param i32)))
  (func (export "catch") (param i32) (result i32)
    (try (result i32)
      (do (call $throw (local.get 0)) (i32.const -1))
      (catch $e (i32.const 1000) (i32.add)))))
(assert_return (invoke "catch" (i32.const 1)) (i32.const 1001))

;; An instance import brings a tag with the function that throws it.
(module
  (import "local" (instance $l
    (export "e" (tag (param i32)))
    (export "throw" (func (param i32)))))
  (alias $l "e" (tag $e))
  (alias $l "throw" (func $throw))
  (func (export "catch") (result i32)
    (try (result i32)
      (do (call $throw (i32.const 8)) (i32.const -1))
      (catch $e))))
(assert_return (invoke "catch") (i32.const 8))

;; A tag import is checked against its type, and must be a tag.
(assert_unlinkable
  (module (import "local" "e" (tag (param f32))))
  "incompatible import type")
(assert_unlinkable
  (module (import "local" "throw" (tag (param i32))))
  "incompatible import type")

;; exnref, the newer exception handling: a caught exception is a value that
;; crosses an instance boundary in a function signature and is rethrown there.
(module $rethrower
  (tag $e (export "e") (param i32))
  (func (export "rethrow") (param exnref) (throw_ref (local.get 0)))
  (func (export "throw") (param i32) (throw $e (local.get 0))))
(register "rethrower" $rethrower)
(module
  (import "rethrower" (instance $r
    (export "e" (tag (param i32)))
    (export "rethrow" (func (param exnref)))
    (export "throw" (func (param i32)))))
  (alias $r "e" (tag $e))
  (alias $r "rethrow" (func $rethrow))
  (alias $r "throw" (func $throw))
  (global $caught (mut exnref) (ref.null exn))
  (func (export "round-trip") (param i32) (result i32)
    (block $first (result i32 exnref)
      (try_table (catch_ref $e $first) (call $throw (local.get 0)))
      (unreachable))
    (global.set $caught)
    (drop)
    ;; Rethrown by the other instance: the same exception, its value intact.
    (block $again (result i32 exnref)
      (try_table (catch_ref $e $again) (call $rethrow (global.get $caught)))
      (unreachable))
    (drop)))
(assert_return (invoke "round-trip" (i32.const 5)) (i32.const 5))
