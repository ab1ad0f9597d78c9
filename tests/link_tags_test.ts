/**
 * `link` with tags: a tag a linked module exports reaches the modules that
 * import it, a tag left to the host becomes an import of the output, and a
 * tag re-exported by main is an export of the output.
 */

import { assert, assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { compileSync, instantiateSync, parseWat } from "../mod.ts";
import { link, LinkToolError } from "../lib/link.ts";

type Fn = (...args: number[]) => number;

const { Tag } = WebAssembly as unknown as {
  Tag: new (type: { parameters: string[] }) => object;
};

/** Throws its argument with its own tag, and catches the host's. */
const LIB = `(module
  (import "host" "oops" (tag $oops (param i32)))
  (tag $e (export "e") (param i32))
  (func (export "throw") (param i32) local.get 0 throw $e)
  (func (export "raise") (param i32) local.get 0 throw $oops))`;

const MAIN = `(module
  (import "lib" "e" (tag $e (param i32)))
  (import "lib" "throw" (func $throw (param i32)))
  (import "host" "oops" (tag $oops (param i32)))
  (import "lib" "raise" (func $raise (param i32)))
  (func (export "catch") (param i32) (result i32)
    (try (result i32) (do (call $throw (local.get 0)) (i32.const -1)) (catch $e)))
  (func (export "catch-host") (param i32) (result i32)
    (try (result i32) (do (call $raise (local.get 0)) (i32.const -1))
      (catch $oops (i32.const 100) (i32.add))))
  (export "e" (tag $e)))`;

Deno.test("link: tags pass from a linked module to main, and from the host to both", async () => {
  const out = link({ name: "main.wasm", bytes: await parseWat(MAIN) }, [
    { name: "lib", bytes: await parseWat(LIB) },
  ]);
  const module = compileSync(out);
  assertEquals(module.imports(), [{
    module: "host",
    name: "oops",
    kind: "tag",
    type: "(tag (param i32))",
  }]);
  assertEquals(module.exports().find((e) => e.name === "e"), {
    name: "e",
    kind: "tag",
    type: "(tag (param i32))",
  });
  const oops = new Tag({ parameters: ["i32"] });
  const { exports } = instantiateSync(module, { host: { oops } });
  assertEquals((exports.catch as Fn)(7), 7);
  // The host's tag is the one lib throws and main catches.
  assertEquals((exports["catch-host"] as Fn)(1), 101);
  // Main re-exports lib's own tag.
  assertStrictEquals(Object.getPrototypeOf(exports.e), Tag.prototype);
  assert(exports.e !== oops);
});

Deno.test("link: a tag import of the wrong type, or single-level from a linked module, is refused", async () => {
  const lib = await parseWat(`(module (tag (export "e") (param i64)))`);
  const wrongType = await parseWat(`(module (import "lib" "e" (tag (param i32))))`);
  const e = assertThrows(
    () => link({ name: "main.wasm", bytes: wrongType }, [{ name: "lib", bytes: lib }]),
    LinkToolError,
  );
  assertEquals(e.code, "mismatch");
  assertEquals(
    e.message,
    'main.wasm imports "lib" "e" as (tag (param i32)), but module lib exports "e" as (tag (param i64))',
  );
  const single = await parseWat(`(module (import "lib" (tag (param i64))))`);
  const s = assertThrows(
    () => link({ name: "main.wasm", bytes: single }, [{ name: "lib", bytes: lib }]),
    LinkToolError,
  );
  assertEquals(s.code, "mismatch");
  assert(s.message.includes("(a single-level tag import)"), s.message);
});
