/**
 * Data and element segments for a memory or table other than the first,
 * however the text names it. wabt's JS build writes an active data segment
 * for memory N > 0 with flags 2 but without the memory index
 * (WebAssembly/wabt#2518); `lib/text/data_memory.ts` puts it back. Checked
 * by instantiating and reading the memories and tables, and on the bytes.
 */

import { assert, assertEquals, assertInstanceOf, assertRejects, assertThrows } from "@std/assert";
import { compile, CompileError, instantiateSync, parseWat, printWat } from "../mod.ts";
import type { Imports } from "../mod.ts";
import { loadWabt, WABT_FEATURES } from "../lib/text/wabt.ts";
import { DATA_INDEX_PROBE, dataIndexForm, repairDataMemories } from "../lib/text/data_memory.ts";

/** Compiles and instantiates `text`; returns its exports. */
async function run(text: string, imports: Imports = {}): Promise<Record<string, unknown>> {
  return instantiateSync(await compile(text), imports).exports as Record<string, unknown>;
}

/** `length` bytes of memory export `name` from `at`. */
function bytesOf(
  exports: Record<string, unknown>,
  name: string,
  at: number,
  length: number,
): number[] {
  const memory = exports[name] as WebAssembly.Memory;
  assertInstanceOf(memory, WebAssembly.Memory);
  return [...new Uint8Array(memory.buffer, at, length)];
}

const HI = [0x68, 0x69]; // "hi"
const NONE = [0, 0];

/** wabt's own binary of `text`, with nothing put back. */
async function wabtBinary(text: string): Promise<Uint8Array> {
  const wabt = await loadWabt();
  const module = wabt.parseWat("t.wat", new TextEncoder().encode(text), WABT_FEATURES);
  try {
    module.resolveNames();
    return module.toBinary({ canonicalize_lebs: true, write_debug_names: false }).buffer;
  } finally {
    module.destroy();
  }
}

/** The payload of the data section of a core binary. */
function dataPayload(binary: Uint8Array): number[] {
  let at = 8;
  while (at < binary.length) {
    const id = binary[at++];
    let size = 0;
    for (let shift = 0;; shift += 7) {
      const b = binary[at++];
      size |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    if (id === 11) return [...binary.subarray(at, at + size)];
    at += size;
  }
  return [];
}

// ---- data segments -----------------------------------------------------------

Deno.test("a data segment for memory 1 by index lands in memory 1", async () => {
  const e = await run(`(module
    (memory (export "m0") 1) (memory (export "m1") 1)
    (data (memory 1) (i32.const 8) "hi"))`);
  assertEquals(bytesOf(e, "m1", 8, 2), HI);
  assertEquals(bytesOf(e, "m0", 8, 2), NONE);
});

Deno.test("the binary has flags 2, the memory index, then the offset", async () => {
  const bytes = await parseWat(
    `(module (memory 1) (memory 1) (data (memory 1) (i32.const 8) "hi"))`,
  );
  assertEquals(dataPayload(bytes), [1, 2, 1, 0x41, 8, 0x0b, 2, ...HI]);
});

Deno.test("data segments for memory 1 and 2 by $id, by index and in the old form", async () => {
  const e = await run(`(module
    (memory $a (export "m0") 1) (memory $b (export "m1") 1) (memory $c (export "m2") 1)
    (data $d (memory $c) (i32.const 0) "hi")
    (data (memory $b) (offset (i32.const 4)) "hi")
    (data 2 (i32.const 10) "hi")
    (data (memory 1) (offset i32.const 10 i32.const 2 i32.add) "hi")
    (data $z (memory $a) (i32.const 20) "hi"))`);
  assertEquals(bytesOf(e, "m2", 0, 2), HI);
  assertEquals(bytesOf(e, "m1", 4, 2), HI);
  assertEquals(bytesOf(e, "m2", 10, 2), HI);
  assertEquals(bytesOf(e, "m1", 12, 2), HI);
  assertEquals(bytesOf(e, "m0", 20, 2), HI);
  assertEquals(bytesOf(e, "m0", 0, 12), new Array(12).fill(0));
  assertEquals(bytesOf(e, "m1", 0, 4), [0, 0, 0, 0]);
});

Deno.test("passive segments, memory 0 and memory 1 segments mixed, and a global offset", async () => {
  const e = await run(`(module
    (global $g i32 (i32.const 16))
    (memory (export "m0") 1) (memory $m (export "m1") 1)
    (data $p "pp")
    (data (memory $m) (global.get $g) "hi")
    (data (i32.const 2) "hi")
    (data $q "qq")
    (data (memory 1) (i32.const 0) "")
    (func (export "init") (memory.init $m $q (i32.const 30) (i32.const 0) (i32.const 2))))`);
  assertEquals(bytesOf(e, "m1", 16, 2), HI);
  assertEquals(bytesOf(e, "m0", 2, 2), HI);
  assertEquals(bytesOf(e, "m0", 16, 2), NONE);
  (e.init as () => void)();
  assertEquals(bytesOf(e, "m1", 30, 2), [0x71, 0x71]);
});

Deno.test("a 64-bit second memory gets its data", async () => {
  const e = await run(`(module
    (memory (export "m0") 1) (memory (export "m1") i64 1)
    (data (memory 1) (i64.const 8) "hi"))`);
  assertEquals(bytesOf(e, "m1", 8, 2), HI);
});

Deno.test("imported memories count before the local ones", async () => {
  const env = {
    a: new WebAssembly.Memory({ initial: 1 }),
    b: new WebAssembly.Memory({ initial: 1 }),
  };
  const e = await run(
    `(module
      (import "env" "a" (memory 1))
      (memory $own (import "env" "b") 1)
      (memory (export "m2") 1)
      (data (memory 2) (i32.const 0) "hi")
      (data (memory $own) (i32.const 4) "hi")
      (data (memory 0) (i32.const 8) "hi"))`,
    { env },
  );
  assertEquals(bytesOf(e, "m2", 0, 2), HI);
  assertEquals([...new Uint8Array(env.b.buffer, 4, 2)], HI);
  assertEquals([...new Uint8Array(env.a.buffer, 8, 2)], HI);
  assertEquals([...new Uint8Array(env.a.buffer, 0, 6)], [0, 0, 0, 0, 0, 0]);
});

Deno.test("a memory's inline data goes to that memory", async () => {
  const env = { a: new WebAssembly.Memory({ initial: 1 }) };
  const e = await run(
    `(module
      (import "env" "a" (memory 1))
      (memory (export "m1") 1)
      (memory $m (export "m2") (data "hello"))
      (memory (export "m3") (data "hi")))`,
    { env },
  );
  assertEquals(bytesOf(e, "m2", 0, 5), [0x68, 0x65, 0x6c, 0x6c, 0x6f]);
  assertEquals(bytesOf(e, "m3", 0, 2), HI);
  assertEquals(bytesOf(e, "m1", 0, 2), NONE);
  assertEquals([...new Uint8Array(env.a.buffer, 0, 2)], NONE);
});

Deno.test("a data segment for an aliased memory, named and by inline alias", async () => {
  const e = await run(`(module
    (module $mems
      (memory (export "a") 1)
      (memory (export "b") 1))
    (instance $i (instantiate $mems))
    (alias $i "a" (memory $a))
    (alias $i "b" (memory $b))
    (memory $own 1)
    (data (memory $b) (i32.const 0) "hi")
    (data (memory $own) (i32.const 2) "hi")
    (data (memory $i "b") (i32.const 6) "hi")
    (export "a" (memory $a))
    (export "b" (memory $b))
    (export "own" (memory $own)))`);
  assertEquals(bytesOf(e, "b", 0, 2), HI);
  assertEquals(bytesOf(e, "b", 6, 2), HI);
  assertEquals(bytesOf(e, "own", 2, 2), HI);
  assertEquals(bytesOf(e, "a", 0, 8), new Array(8).fill(0));
});

Deno.test("a nested module's data segments land in its own second memory", async () => {
  const e = await run(`(module
    (module $inner
      (memory $x (export "a") 1)
      (memory $y (export "b") 1)
      (data (memory $y) (i32.const 3) "hi")
      (module $deeper
        (memory (export "c") 1)
        (memory (export "d") (data "hi"))
        (data (memory 1) (i32.const 5) "hi"))
      (instance $d (instantiate $deeper))
      (export "d" (memory $d "d")))
    (instance $i (instantiate $inner))
    (export "a" (memory $i "a"))
    (export "b" (memory $i "b"))
    (export "d" (memory $i "d")))`);
  assertEquals(bytesOf(e, "b", 3, 2), HI);
  assertEquals(bytesOf(e, "a", 3, 2), NONE);
  assertEquals(bytesOf(e, "d", 0, 2), HI);
  assertEquals(bytesOf(e, "d", 5, 2), HI);
});

Deno.test("a data segment for a memory that does not exist names its real index", async () => {
  const e = await assertRejects(
    () => compile(`(module (memory 1) (data (memory 1) (i32.const 0) "x"))`),
    CompileError,
  );
  assert(e.message.includes("invalid memory index 1"), e.message);
});

Deno.test("memory 0 keeps wabt's encoding: an explicit (memory 0) changes no byte", async () => {
  const plain = `(module (memory 1) (memory 1) (data (i32.const 8) "hi") (data "p"))`;
  const explicit = `(module (memory 1) (memory 1) (data (memory 0) (i32.const 8) "hi") (data "p"))`;
  const bytes = await parseWat(explicit);
  assertEquals(bytes, await parseWat(plain));
  assertEquals(bytes, await wabtBinary(explicit));
  assertEquals(dataPayload(bytes), [2, 0, 0x41, 8, 0x0b, 2, ...HI, 1, 1, 0x70]);
});

Deno.test("a binary with data in memory 1 prints and parses back to the same bytes", async () => {
  const bytes = await parseWat(`(module
    (memory 1) (memory $m 1)
    (data (memory $m) (i32.const 8) "hi")
    (data (i32.const 0) "x"))`);
  const text = await printWat(bytes);
  assertEquals(await parseWat(text), bytes, text);
});

// ---- element segments (wabt writes their table index) ------------------------

Deno.test("element segments for a second table, by index, $id, inline and after an imported table", async () => {
  const env = { t: new WebAssembly.Table({ initial: 4, element: "anyfunc" }) };
  const e = await run(
    `(module
      (import "env" "t" (table 4 funcref))
      (table $one (export "t1") 4 funcref)
      (table (export "t2") funcref (elem $f2 $f1))
      (table (export "t3") 4 funcref)
      (func $f1 (result i32) i32.const 1)
      (func $f2 (result i32) i32.const 2)
      (elem (table 1) (i32.const 0) func $f1)
      (elem (table $one) (offset (i32.const 1)) $f2)
      (elem (table 3) (i32.const 2) funcref (ref.func $f2))
      (elem (i32.const 3) $f1))`,
    { env },
  );
  const call = (name: string, at: number) => {
    const table = e[name] as WebAssembly.Table;
    return (table.get(at) as () => number)();
  };
  assertEquals([call("t1", 0), call("t1", 1)], [1, 2]);
  assertEquals([call("t2", 0), call("t2", 1)], [2, 1]);
  assertEquals(call("t3", 2), 2);
  assertEquals((env.t.get(3) as () => number)(), 1);
  assertEquals([env.t.get(0), env.t.get(1), env.t.get(2)], [null, null, null]);
});

// ---- the repair itself -------------------------------------------------------

Deno.test("the loaded wabt leaves the memory index out (if this fails, wabt was fixed)", async () => {
  // Nothing breaks when it does: the repair then checks wabt's indices instead.
  assertEquals(dataIndexForm(await wabtBinary(DATA_INDEX_PROBE)), "omitted");
});

Deno.test("a wabt that writes the index gets no second one, and a wrong one is an error", () => {
  const header = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  const written = new Uint8Array([...header, 11, 7, 1, 2, 1, 0x41, 8, 0x0b, 0]);
  const text = `(module (data (;0;) (memory 1) (i32.const 8) ""))`;
  assertEquals(repairDataMemories(written, () => "written", () => text), written);
  assertEquals(
    dataIndexForm(new Uint8Array([...header, 11, 7, 1, 2, 1, 0x41, 0, 0x0b, 0])),
    "written",
  );
  const other = `(module (data (;0;) (memory 2) (i32.const 8) ""))`;
  const e = assertThrows(() => repairDataMemories(written, () => "written", () => other));
  assert(String(e).includes("segment 0 is for memory 1, its text says 2"), String(e));
});

Deno.test("the repair leaves binaries without flags 2 alone and checks the text's segments", () => {
  const header = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  const never = () => {
    throw new Error("not needed");
  };
  const plain = new Uint8Array([...header, 11, 6, 1, 0, 0x41, 8, 0x0b, 0]);
  assertEquals(repairDataMemories(plain, never, never), plain);
  const omitted = new Uint8Array([...header, 11, 9, 2, 2, 0x41, 8, 0x0b, 0, 1, 1, 0x70]);
  const fixed = repairDataMemories(
    omitted,
    () => "omitted",
    () => `(module (data (;0;) (memory 300) (i32.const 8) "") (data (;1;) "p"))`,
  );
  assertEquals([...fixed], [...header, 11, 11, 2, 2, 0xac, 0x02, 0x41, 8, 0x0b, 0, 1, 1, 0x70]);
  const mismatch = () =>
    repairDataMemories(
      omitted,
      () => "omitted",
      () => `(module (data (;0;) (memory 1) (i32.const 8) ""))`,
    );
  assertThrows(mismatch, Error, "section has 2 segments, its text 1");
});
