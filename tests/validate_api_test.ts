/**
 * `validate` and `validateSync`: `compile`'s answer as a value. Valid and
 * invalid binaries and texts, errors with their locations, artifacts and
 * other bytes that are no module, misuse, and agreement with `compile` on
 * every case.
 */

import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import {
  compile,
  CompileError,
  compileSync,
  parseWat,
  validate,
  validateSync,
  type ValidationResult,
  WatError,
} from "../mod.ts";
import { bin, code, ex, exports, func, funcs, I32, types } from "./helpers/build.ts";

/** Narrows `value` to an instance of `type`, or fails. */
function assertInstanceOf<T>(
  value: unknown,
  type: abstract new (...args: never[]) => T,
): asserts value is T {
  assert(value instanceof type, `expected a ${type.name}, got ${String(value)}`);
}

/** The error of an invalid result; fails on a valid one. */
function errorOf(result: ValidationResult): CompileError | WatError {
  if (result.valid) throw new Error("expected an invalid result");
  return result.error;
}

const validBinary = bin(types(func([], [I32])), funcs(0), exports(ex("f", 0, 0)), code([0x41, 1]));

Deno.test("valid binaries and texts are valid, without instantiation or imports", async () => {
  assertEquals(await validate(validBinary), { valid: true });
  assertEquals(validateSync(validBinary), { valid: true });
  assertEquals(await validate(validBinary.buffer as ArrayBuffer), { valid: true });
  assertEquals(await validate(new DataView(validBinary.buffer)), { valid: true });
  // A start function that traps, and imports nothing provides: nothing runs.
  const text = `(module
    (import "env" "missing" (func))
    (module $child (func $boom unreachable) (start $boom))
    (instance (instantiate $child))
    (func $trap unreachable)
    (start $trap))`;
  assertEquals(await validate(text), { valid: true });
  assertEquals(await validate(new TextEncoder().encode(text)), { valid: true });
});

Deno.test("an invalid binary is a CompileError with its offset and nested-module path", async () => {
  const version = errorOf(validateSync(new Uint8Array([0, 97, 115, 109, 2, 0, 0, 0])));
  assertInstanceOf(version, CompileError);
  assertEquals([version.reason, version.offset], ["unknown binary version", 4]);
  const nested = new Uint8Array(
    await parseWat(`(module $app (module $child (module $leaf)))`),
  );
  // Break the innermost module's version byte: the path names every module on the way.
  const at = lastIndexOfHeader(nested);
  nested[at + 4] = 9;
  const error = errorOf(await validate(nested));
  assertInstanceOf(error, CompileError);
  assertEquals(error.offset, at + 4);
  // The modules on the way have no names yet: their name sections come last.
  assertEquals(error.path, ["module 0", "module 0"]);
  assert(error.message.startsWith("module 0 > module 0: unknown binary version"), error.message);
  // V8's errors in core code are located in the binary too.
  const core = errorOf(validateSync(await parseWat(`(module $a (module $b (func (result i32))))`)));
  assertInstanceOf(core, CompileError);
  assertEquals(core.path, ["module $a", "module $b"]);
  assert(core.offset !== undefined && core.reason.startsWith("invalid core module"), core.message);
});

Deno.test("invalid text is located by its line and column", async () => {
  const parse = errorOf(
    await validate(`(module\n  (instance (instantiate $nope)))`, {
      filename: "app.wat",
    }),
  );
  assertInstanceOf(parse, WatError);
  assertEquals([parse.file, parse.line, parse.column], ["app.wat", 2, 26]);
  // V8's errors in core code are CompileErrors located in the text.
  const core = errorOf(await validate(`(module\n  (func (result i32)))`, { filename: "f.wat" }));
  assertInstanceOf(core, CompileError);
  assert(core.message.startsWith("f.wat:2:21: invalid core module"), core.message);
  // A nested (file …) module is read with the readFile option.
  const embedded = await validate(`(module (module $m (file "m.wasm")))`, {
    readFile: () => validBinary,
  });
  assertEquals(embedded, { valid: true });
  const unreadable = errorOf(
    await validate(`(module (module $m (file "m.wasm")))`, {
      readFile: () => {
        throw new Error("cannot read m.wasm: gone");
      },
    }),
  );
  assertInstanceOf(unreadable, WatError);
  assert(unreadable.message.includes("gone"), unreadable.message);
});

Deno.test("an artifact, and bytes that are no module, are invalid and say why", async () => {
  const artifact = (await compile(validBinary)).serialize();
  for (const result of [await validate(artifact), validateSync(artifact)]) {
    const e = errorOf(result);
    assertInstanceOf(e, CompileError);
    assert(e.message.startsWith("this is an mlink artifact"), e.message);
  }
  const random = new Uint8Array([1, 2, 3, 0]);
  const unknown = errorOf(await validate(random));
  assert(unknown.message.startsWith("not a WebAssembly binary, text or artifact"), unknown.message);
  const text = errorOf(validateSync(new TextEncoder().encode("(module)")));
  assertInstanceOf(text, CompileError);
  assert(text.message.includes("validate()"), text.message);
});

Deno.test("misuse throws a typed error instead of returning a result", async () => {
  for (const source of [5, null, undefined, {}, [0, 97, 115, 109], true]) {
    const error = await assertRejects(
      () => validate(source as unknown as Uint8Array),
      CompileError,
    );
    assert(error.message.startsWith("validate expects"), error.message);
    const sync = assertThrows(() => validateSync(source as unknown as Uint8Array), CompileError);
    assert(sync.message.startsWith("validateSync expects"), sync.message);
  }
  assertThrows(() => validateSync("(module)" as unknown as Uint8Array), CompileError, "text");
  for (const options of [null, 5, "app.wat", [], { filename: 5 }, { readFile: "x" }]) {
    const error = await assertRejects(
      () => validate("(module)", options as unknown as Record<string, never>),
      CompileError,
    );
    assert(error.message.startsWith("validate: options"), error.message);
  }
  const buffer = new ArrayBuffer(8);
  const view = new Uint8Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  assertThrows(() => validateSync(view), CompileError, "detached");
  assertThrows(() => validateSync(buffer), CompileError, "detached");
});

Deno.test("validate agrees with compile, message for message", async () => {
  const inputs: (Uint8Array | string)[] = [
    validBinary,
    new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]),
    bin(types(func()), funcs(3)),
    bin(types(func([], [I32])), funcs(0), code([])),
    "(module)",
    '(module (func (export "f") (export "f")))',
    '(module (import "a" (func)) (import "a" (func)))',
    "(module (alias outer 0 0 (type)))",
    '(module (func $f) (export "g" (func $g)))',
  ];
  for (const input of inputs) {
    const result = await validate(input);
    let thrown: unknown;
    try {
      await compile(input);
    } catch (e) {
      thrown = e;
    }
    if (thrown === undefined) assertEquals(result, { valid: true }, String(input));
    else assertEquals(errorOf(result).message, (thrown as Error).message);
    if (typeof input !== "string") {
      let syncThrown: unknown;
      try {
        compileSync(input);
      } catch (e) {
        syncThrown = e;
      }
      const sync = validateSync(input);
      assertEquals(sync.valid, syncThrown === undefined);
      if (!sync.valid) assertEquals(sync.error.message, (syncThrown as Error).message);
    }
  }
});

/** The offset of the last `\0asm` header in `bytes`: the innermost nested module's. */
function lastIndexOfHeader(bytes: Uint8Array): number {
  for (let i = bytes.length - 4; i >= 0; i--) {
    if (bytes[i] === 0 && bytes[i + 1] === 0x61 && bytes[i + 2] === 0x73 && bytes[i + 3] === 0x6d) {
      return i;
    }
  }
  throw new Error("no header");
}
