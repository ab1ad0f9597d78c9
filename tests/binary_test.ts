/**
 * The binary layer: reader and writer primitives, `encode(decode(b)) === b`
 * on hand-built module-linking IR and on core binaries from wabt, decoded
 * fields and offsets, and every decode error with its message, offset and
 * nested-module path.
 */

import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { decode, encode } from "../lib/binary/mod.ts";
import { Reader } from "../lib/binary/reader.ts";
import { u32Size, Writer } from "../lib/binary/writer.ts";
import { CompileError } from "../lib/errors.ts";
import { WABT_FEATURES } from "../lib/text/wabt.ts";
import type { Import, ImportDesc, ModuleIR, Section, TypeDef } from "../lib/ir.ts";

// ---------------------------------------------------------------------------
// Helpers

const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;
const FUNCREF = 0x70, EXTERNREF = 0x6f;

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Unsigned LEB128, canonical. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Signed LEB128 of a bigint, canonical. */
function sleb(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

/** A name: length then UTF-8 bytes. */
function str(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...leb(b.length), ...b];
}

/** A section: id, size, payload. */
function sec(id: number, payload: number[]): number[] {
  return [id, ...leb(payload.length), ...payload];
}

/** A module binary from sections. */
function wasm(...sections: number[][]): Uint8Array {
  return new Uint8Array([...HEADER, ...sections.flat()]);
}

/** A copy of `value` without `offset` properties, to compare IR with IR. */
function strip<T>(value: T): T {
  if (Array.isArray(value)) return value.map(strip) as T;
  if (value instanceof Uint8Array) return value;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== "offset") out[k] = strip(v);
    return out as T;
  }
  return value;
}

function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what = ""): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      throw new Error(
        `${what}: byte ${i} is 0x${actual[i].toString(16)}, expected 0x${expected[i].toString(16)}`,
      );
    }
  }
}

/** Encodes `ir`, decodes it back to the same IR and re-encodes it to the same bytes. */
function roundTripIR(ir: ModuleIR, what: string): Uint8Array {
  const bytes = encode(ir);
  const decoded = decode(bytes);
  assertEquals(strip(decoded), strip(ir), what);
  assertSameBytes(encode(decoded), bytes, what);
  return bytes;
}

/** Decoding must fail with `reason` in the message, at `offset`, in `path`. */
function malformed(
  bytes: Uint8Array,
  reason: string,
  offset: number,
  path: string[] = [],
): CompileError {
  const e: CompileError = assertThrows(() => decode(bytes), CompileError);
  assertStringIncludes(e.reason, reason);
  assertStringIncludes(e.message, reason);
  assertEquals(e.offset, offset, `offset of "${e.message}"`);
  assertEquals(e.path, path);
  return e;
}

/** The first section of `ir` with this id (the test fails if there is none). */
function find<I extends Section["id"]>(ir: ModuleIR, id: I): Section & { id: I } {
  const s = ir.sections.find((s) => s.id === id);
  if (!s) throw new Error(`no section ${id}`);
  return s as Section & { id: I };
}

/** Section `i` of `ir`, which must have this id. */
function nth<I extends Section["id"]>(ir: ModuleIR, i: number, id: I): Section & { id: I } {
  const s = ir.sections[i];
  assertEquals(s.id, id);
  return s as Section & { id: I };
}

const funcType = (params: number[] = [], results: number[] = []): TypeDef => ({
  form: "func",
  params,
  results,
});
const fn = (type: number): ImportDesc => ({ kind: 0, type });
const imp = (module: string, field: string | null, desc: ImportDesc): Import => ({
  module,
  field,
  desc,
});
const mod = (...sections: Section[]): ModuleIR => ({ sections });

/** One import descriptor of every kind and shape. */
const EVERY_DESC: ImportDesc[] = [
  { kind: 0, type: 0 },
  { kind: 1, type: { elem: FUNCREF, limits: { min: 0 } } },
  { kind: 1, type: { elem: EXTERNREF, limits: { min: 1, max: 0xffffffff } } },
  { kind: 2, type: { limits: { min: 1 }, shared: false, memory64: false } },
  { kind: 2, type: { limits: { min: 0, max: 65536 }, shared: false, memory64: false } },
  { kind: 2, type: { limits: { min: 1, max: 2 }, shared: true, memory64: false } },
  { kind: 2, type: { limits: { min: 2 ** 40 }, shared: false, memory64: true } },
  { kind: 2, type: { limits: { min: 1, max: 2 ** 53 - 1 }, shared: true, memory64: true } },
  { kind: 3, type: { type: I32, mutable: false } },
  { kind: 3, type: { type: I64, mutable: true } },
  { kind: 3, type: { type: F32, mutable: false } },
  { kind: 3, type: { type: F64, mutable: true } },
  { kind: 3, type: { type: V128, mutable: false } },
  { kind: 3, type: { type: FUNCREF, mutable: true } },
  { kind: 3, type: { type: EXTERNREF, mutable: false } },
  { kind: 4, type: 0 },
  { kind: 4, type: 0xffffffff },
  { kind: 5, type: 1 },
  { kind: 6, type: 2 },
];

/** Every entity kind, as a union of literals for IR built by hand. */
type Kinds = 0 | 1 | 2 | 3 | 4 | 5 | 6;
const EVERY_KIND: Kinds[] = [0, 1, 2, 3, 4, 5, 6];

// ---------------------------------------------------------------------------
// Reader and writer

Deno.test("writer: u32 is canonical LEB128 and the reader reads it back", () => {
  const values = [
    0,
    1,
    63,
    64,
    127,
    128,
    255,
    16383,
    16384,
    2 ** 21 - 1,
    2 ** 21,
    2 ** 28 - 1,
    2 ** 28,
    2 ** 31,
    2 ** 32 - 1,
  ];
  for (const v of values) {
    const w = new Writer();
    w.u32(v);
    const bytes = w.finish();
    assertEquals([...bytes], leb(v), `u32 ${v}`);
    assertEquals(bytes.length, u32Size(v));
    const r = new Reader(bytes);
    assertEquals(r.u32(), v);
    assertEquals(r.pos, bytes.length);
  }
  assertThrows(() => new Writer().u32(2 ** 32), RangeError);
  assertThrows(() => new Writer().u32(-1), RangeError);
  assertThrows(() => new Writer().u32(1.5), RangeError);
});

Deno.test("writer: u64 up to 2^53 - 1, and the reader reads it back", () => {
  for (const v of [0, 127, 128, 2 ** 32, 2 ** 40 + 3, 2 ** 53 - 1]) {
    const w = new Writer();
    w.u64(v);
    const bytes = w.finish();
    assertEquals([...bytes], leb(v));
    assertEquals(new Reader(bytes).u64(), v);
  }
  assertThrows(() => new Writer().u64(2 ** 53), RangeError);
});

Deno.test("writer: sized blocks get a canonical length prefix of any size", () => {
  for (const n of [0, 1, 127, 128, 16383, 16384, 70000]) {
    const w = new Writer(16);
    w.u8(0xaa);
    const mark = w.startSized();
    for (let i = 0; i < n; i++) w.u8(i & 0xff);
    w.endSized(mark);
    w.u8(0xbb);
    const out = w.finish();
    const r = new Reader(out);
    assertEquals(r.u8(), 0xaa);
    assertEquals(r.u32(), n);
    assertEquals(r.pos, 1 + u32Size(n));
    for (let i = 0; i < n; i++) assert(r.u8() === (i & 0xff));
    assertEquals(r.u8(), 0xbb);
    assertEquals(r.pos, out.length);
  }
});

Deno.test("writer: names are length-prefixed UTF-8", () => {
  for (const s of ["", "a", "héllo", "日本語", "🦕", "x".repeat(300)]) {
    const w = new Writer();
    w.name(s);
    const bytes = w.finish();
    assertEquals([...bytes], str(s));
    assertEquals(new Reader(bytes).name(), s);
  }
});

Deno.test("reader: s32 reads every width and sign", () => {
  const values = [0, 1, -1, 63, 64, -64, -65, 8191, -8192, 2 ** 31 - 1, -(2 ** 31), 123456789];
  for (const v of values) {
    const bytes = new Uint8Array(sleb(BigInt(v)));
    const r = new Reader(bytes);
    assertEquals(r.s32(), v, `s32 ${v}`);
    assertEquals(r.pos, bytes.length);
  }
});

Deno.test("reader: s64 skips every width and sign", () => {
  for (const v of [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 1234567890123n]) {
    const bytes = new Uint8Array(sleb(v));
    const r = new Reader(bytes);
    r.skipS64();
    assertEquals(r.pos, bytes.length);
  }
});

Deno.test("reader: malformed LEB128 integers", () => {
  const cases: [(r: Reader) => unknown, number[], string][] = [
    [(r) => r.u32(), [0x80, 0x80, 0x80, 0x80, 0x80, 0x00], "integer representation too long"],
    [(r) => r.u32(), [0x82, 0x80, 0x80, 0x80, 0x70], "integer too large"],
    [(r) => r.u32(), [0x82, 0x80, 0x80, 0x80, 0x10], "integer too large"],
    [(r) => r.u32(), [0x80, 0x80], "unexpected end"],
    [(r) => r.s32(), [0x80, 0x80, 0x80, 0x80, 0x80, 0x00], "integer representation too long"],
    [(r) => r.s32(), [0x80, 0x80, 0x80, 0x80, 0x70], "integer too large"],
    [(r) => r.s32(), [0xff, 0xff, 0xff, 0xff, 0x0f], "integer too large"],
    [(r) => r.s32(), [0xff], "unexpected end"],
    [(r) => r.skipS64(), [...Array(10).fill(0x80), 0x00], "integer representation too long"],
    [(r) => r.skipS64(), [...Array(9).fill(0x80), 0x7e], "integer too large"],
    [(r) => r.skipS64(), [...Array(9).fill(0xff), 0x01], "integer too large"],
    [(r) => r.u64(), [...Array(9).fill(0x80), 0x02], "integer too large"],
    [(r) => r.u64(), [...Array(10).fill(0x80), 0x00], "integer representation too long"],
    [(r) => r.u64(), leb(2 ** 53), "2^53"],
    [(r) => r.u64(), [...Array(9).fill(0xff), 0x01], "2^53"],
  ];
  for (const [read, bytes, reason] of cases) {
    const r = new Reader(new Uint8Array(bytes), 100, ["module 3"]);
    const e: CompileError = assertThrows(() => read(r), CompileError);
    assertStringIncludes(e.reason, reason, `${bytes}`);
    assert(e.offset !== undefined && e.offset >= 100, `${e.offset}`);
    assertEquals(e.path, ["module 3"]);
  }
});

Deno.test("reader: offsets are relative to the outermost binary", () => {
  const r = new Reader(new Uint8Array([1, 2]), 1000);
  r.u8();
  assertEquals(r.offset(), 1001);
  r.u8();
  const e: CompileError = assertThrows(() => r.u8(), CompileError);
  assertEquals(e.offset, 1002);
  assertEquals(e.reason, "unexpected end");
});

Deno.test("reader: views are not copies", () => {
  const bytes = new Uint8Array([3, 4, 5, 6]);
  const r = new Reader(bytes);
  const v = r.view(3);
  assert(v.buffer === bytes.buffer);
  assertEquals([...v], [3, 4, 5]);
});

// ---------------------------------------------------------------------------
// Round trips of hand-built IR

const EVERY_IMPORT_SHAPE: Import[] = [
  ...EVERY_DESC.map((d, i) => imp("two", `level${i}`, d)),
  ...EVERY_DESC.map((d, i) => imp(`single${i}`, null, d)),
  // An empty field name that is not followed by 0xff is an ordinary two-level import.
  imp("empty", "", fn(0)),
  imp("", "", fn(0)),
  imp("ünïcödé", "名前", fn(0)),
];

const HAND_BUILT: [string, ModuleIR][] = [
  ["empty module", mod()],
  [
    "func types with every value type",
    mod({
      id: 1,
      types: [
        funcType(),
        funcType([I32, I64, F32, F64, V128, FUNCREF, EXTERNREF]),
        funcType([], [EXTERNREF, FUNCREF, V128, F64, F32, I64, I32]),
        funcType(Array(200).fill(I32), Array(130).fill(F64)),
      ],
    }),
  ],
  [
    "module and instance types of every shape",
    mod({
      id: 1,
      types: [
        funcType([I32]),
        { form: "module", imports: [], exports: [] },
        { form: "instance", exports: [] },
        { form: "module", imports: EVERY_IMPORT_SHAPE, exports: [] },
        {
          form: "module",
          imports: [imp("a", null, fn(0))],
          exports: EVERY_DESC.map((desc, i) => ({ name: `e${i}`, desc })),
        },
        { form: "instance", exports: EVERY_DESC.map((desc, i) => ({ name: `x${i}`, desc })) },
      ],
    }),
  ],
  [
    "imports of every kind, single- and two-level",
    mod(
      { id: 1, types: [funcType(), { form: "module", imports: [], exports: [] }] },
      { id: 2, imports: EVERY_IMPORT_SHAPE },
      { id: 2, imports: [imp("again", null, { kind: 5, type: 1 })] },
    ),
  ],
  [
    "core definitions",
    mod(
      { id: 1, types: [funcType([I32], [I32])] },
      { id: 3, funcs: [0, 0, 127, 128, 0xffffffff] },
      {
        id: 4,
        tables: [
          { elem: FUNCREF, limits: { min: 0 } },
          { elem: EXTERNREF, limits: { min: 10, max: 20 } },
        ],
      },
      {
        id: 5,
        memories: [
          { limits: { min: 1 }, shared: false, memory64: false },
          { limits: { min: 1, max: 1 }, shared: true, memory64: false },
          { limits: { min: 0, max: 2 ** 48 }, shared: false, memory64: true },
          { limits: { min: 3 }, shared: true, memory64: true },
        ],
      },
    ),
  ],
  [
    "globals with every constant instruction",
    mod({
      id: 6,
      globals: [
        [I32, [0x41, ...sleb(0n)]],
        [I32, [0x41, ...sleb(-(2n ** 31n))]],
        [I32, [0x41, ...sleb(2n ** 31n - 1n)]],
        [I64, [0x42, ...sleb(-(2n ** 63n))]],
        [I64, [0x42, ...sleb(2n ** 63n - 1n)]],
        [F32, [0x43, 0x00, 0x00, 0x80, 0x3f]],
        [F64, [0x44, 1, 2, 3, 4, 5, 6, 7, 8]],
        [V128, [0xfd, 12, ...Array.from({ length: 16 }, (_, i) => i)]],
        [FUNCREF, [0xd0, FUNCREF]],
        [EXTERNREF, [0xd0, EXTERNREF]],
        [FUNCREF, [0xd2, ...leb(300)]],
        [I32, [0x23, ...leb(0xffffffff)]],
        [I32, [0x41, 1, 0x41, 2, 0x6a, 0x41, 3, 0x6b, 0x41, 4, 0x6c]],
        [I64, [0x42, 1, 0x23, 0, 0x7c, 0x42, 3, 0x7d, 0x42, 4, 0x7e]],
      ].map(([type, init], i) => ({
        type: { type: type as number, mutable: i % 2 === 1 },
        init: new Uint8Array([...(init as number[]), 0x0b]),
      })),
    }),
  ],
  [
    "exports of every kind, start, raw sections",
    mod(
      {
        id: 7,
        exports: EVERY_KIND.map((kind, i) => ({
          name: `export ${i} ✓`,
          kind,
          index: i * 1000,
        })),
      },
      { id: 8, func: 0x4000 },
      { id: 9, data: new Uint8Array([1, 0, 0x41, 0, 0x0b, 1, 0]) },
      { id: 12, data: new Uint8Array([2]) },
      { id: 10, data: new Uint8Array(300).fill(7) },
      { id: 11, data: new Uint8Array(0) },
    ),
  ],
  [
    "custom sections anywhere",
    mod(
      { id: 0, name: "first", data: new Uint8Array([1, 2, 3]) },
      { id: 1, types: [funcType()] },
      { id: 0, name: "", data: new Uint8Array(0) },
      { id: 0, name: "ünïcödé ".repeat(20), data: new Uint8Array(200).fill(9) },
      { id: 3, funcs: [0] },
      { id: 0, name: "name", data: new Uint8Array([0, 2, 1, 0x61]) },
      { id: 10, data: new Uint8Array([1, 2, 0, 0x0b]) },
      { id: 0, name: "last", data: new Uint8Array([0xff]) },
    ),
  ],
  [
    "instances with arguments of every kind",
    mod(
      { id: 15, instances: [{ form: "instantiate", module: 0, args: [] }] },
      {
        id: 15,
        instances: [
          {
            form: "instantiate",
            module: 3,
            args: EVERY_KIND.map((kind, i) => ({
              name: `arg${i}`,
              kind,
              index: 2 ** i * 100,
            })),
          },
          { form: "instantiate", module: 0xffffffff, args: [{ name: "", kind: 0, index: 0 }] },
        ],
      },
    ),
  ],
  [
    "instances made of exports of every kind, and of none",
    mod(
      { id: 15, instances: [{ form: "exports", exports: [] }] },
      {
        id: 15,
        instances: [
          {
            form: "exports",
            exports: EVERY_KIND.map((kind, i) => ({
              name: `export ${i} ✓`,
              kind,
              index: 3 ** i * 10,
            })),
          },
          { form: "instantiate", module: 1, args: [{ name: "a", kind: 6, index: 1 }] },
          {
            form: "exports",
            exports: [
              { name: "", kind: 4, index: 0xffffffff },
              { name: "dup", kind: 0, index: 0 },
              { name: "dup", kind: 0, index: 0 },
            ],
          },
        ],
      },
    ),
  ],
  [
    "tag sections, tag imports and exports",
    mod(
      { id: 1, types: [funcType([I32, F64]), funcType()] },
      {
        id: 2,
        imports: [imp("env", "t", { kind: 4, type: 0 }), imp("t", null, { kind: 4, type: 1 })],
      },
      { id: 5, memories: [{ limits: { min: 1 }, shared: false, memory64: false }] },
      { id: 13, tags: [] },
      { id: 13, tags: [0, 1, 128, 0xffffffff] },
      { id: 6, globals: [] },
      { id: 7, exports: [{ name: "t", kind: 4, index: 3 }] },
    ),
  ],
  [
    "aliases of every form",
    mod({
      id: 16,
      aliases: [
        ...EVERY_KIND.map((kind, i) => ({
          form: "instanceExport" as const,
          instance: i,
          kind,
          name: `name ${i}`,
        })),
        { form: "instanceExport", instance: 0, kind: 0, name: "" },
        { form: "outerModule", depth: 0, index: 0 },
        { form: "outerType", depth: 3, index: 200 },
        { form: "outerType", depth: 0xffffffff, index: 0xffffffff },
      ],
    }),
  ],
  ["modules nested four deep", nested(4)],
  [
    "a nested module bigger than 16 KiB",
    mod(
      { id: 14, modules: [mod({ id: 10, data: new Uint8Array(20000).fill(1) })] },
      { id: 14, modules: [mod(), mod({ id: 0, name: "x", data: new Uint8Array(130) })] },
    ),
  ],
];

/** A module-linking module with every section kind at every level, `depth` levels deep. */
function nested(depth: number): ModuleIR {
  const inner = depth > 1 ? [nested(depth - 1), mod()] : [];
  return mod(
    { id: 0, name: `level ${depth}`, data: new Uint8Array([depth]) },
    {
      id: 1,
      types: [
        funcType([I32]),
        { form: "module", imports: [imp("f", null, fn(0))], exports: [] },
        { form: "instance", exports: [{ name: "g", desc: fn(0) }] },
      ],
    },
    { id: 2, imports: [imp("m", null, { kind: 5, type: 1 }), imp("i", "f", fn(0))] },
    ...(depth < 4
      ? [{
        id: 16 as const,
        aliases: [
          { form: "outerType" as const, depth: 0, index: 0 },
          { form: "outerModule" as const, depth: 0, index: 0 },
        ],
      }]
      : []),
    { id: 14, modules: inner },
    {
      id: 15,
      instances: [
        { form: "instantiate", module: 0, args: [{ name: "f", kind: 0, index: 0 }] },
        { form: "exports", exports: [{ name: "f", kind: 0, index: 0 }] },
      ],
    },
    { id: 16, aliases: [{ form: "instanceExport", instance: 1, kind: 0, name: "g" }] },
    { id: 0, name: "between", data: new Uint8Array(0) },
    { id: 3, funcs: [0] },
    { id: 13, tags: [0] },
    { id: 7, exports: [{ name: "m", kind: 5, index: 0 }, { name: "i", kind: 6, index: 1 }] },
    { id: 10, data: new Uint8Array([1, 2, 0, 0x0b]) },
  );
}

for (const [name, ir] of HAND_BUILT) {
  Deno.test(`round trip: ${name}`, () => {
    roundTripIR(ir, name);
  });
}

Deno.test("round trip: 150 nested modules encode (only decoding is bounded)", () => {
  let m = mod();
  for (let i = 0; i < 150; i++) m = mod({ id: 14, modules: [m] });
  assert(encode(m).length > 150 * 8);
});

Deno.test("encode: limits with `max: undefined` have no maximum", () => {
  const bytes = encode(mod({
    id: 5,
    memories: [{ limits: { min: 1, max: undefined }, shared: false, memory64: false }],
  }));
  assertEquals([...bytes], [...wasm(sec(5, [1, 0x00, 1]))]);
});

// ---------------------------------------------------------------------------
// Round trips of core binaries from wabt

const FEATURES = WABT_FEATURES;

const CORE_WAT: string[] = [
  `(module)`,
  `(module (func (export "f") (param i32 i64) (result f32 f64)
     f32.const 1 f64.const 2))`,
  `(module
     (import "spectest" "print_i32" (func $p (param i32)))
     (import "spectest" "table" (table 10 20 funcref))
     (import "spectest" "memory" (memory 1 2))
     (import "spectest" "global_i32" (global i32))
     (import "env" "g" (global (mut i64)))
     (import "env" "ext" (table 0 externref))
     (func (export "run") i32.const 42 call $p))`,
  `(module
     (memory $a 1) (memory $b 2 3) (memory $c i64 4 5)
     (data (memory $b) (i32.const 8) "hello")
     (data $p "passive")
     (func (export "copy") (memory.copy $a $b (i32.const 0) (i32.const 8) (i32.const 5)))
     (func (export "init") (memory.init $p (i32.const 0) (i32.const 0) (i32.const 3))
       (data.drop $p)))`,
  `(module
     (import "env" "base" (global $base i32))
     (global $a i32 (i32.const -2147483648))
     (global $b (mut i64) (i64.const 9223372036854775807))
     (global f32 (f32.const 3.5))
     (global f64 (f64.const -0.25))
     (global v128 (v128.const i32x4 1 2 3 4))
     (global funcref (ref.null func))
     (global externref (ref.null extern))
     (global funcref (ref.func $f))
     (global i32 (global.get $base))
     (global i32 (i32.add (global.get $base) (i32.mul (i32.const 3) (i32.const 4))))
     (global i64 (i64.sub (i64.const 10) (i64.const 1)))
     (func $f (export "f")))`,
  `(module
     (type $t (func (param i32) (result i32)))
     (table $t1 4 funcref) (table $t2 2 externref)
     (elem (table $t1) (i32.const 0) func $a $b)
     (elem $passive funcref (ref.func $a) (ref.null func))
     (elem declare func $b)
     (func $a (type $t) local.get 0)
     (func $b (type $t) local.get 0 i32.const 1 i32.add)
     (func (export "call") (param i32 i32) (result i32)
       local.get 0 local.get 1 call_indirect $t1 (type $t))
     (func (export "tail") (param i32) (result i32) local.get 0 return_call $b)
     (func (export "grow") (result i32) (table.grow $t2 (ref.null extern) (i32.const 1))))`,
  `(module
     (memory 1)
     (func $start i32.const 0 i32.const 7 i32.store)
     (start $start)
     (func (export "v") (param v128) (result v128)
       local.get 0 local.get 0 i32x4.add)
     (func (export "sat") (param f32) (result i32) local.get 0 i32.trunc_sat_f32_s)
     (func (export "ext") (param i32) (result i32) local.get 0 i32.extend8_s)
     (func (export "multi") (result i32 i64) (block (result i32 i64) i32.const 1 i64.const 2)))`,
  `(module
     (func (export "locals") (result i32)
       (local i32 i32 i64 f32 f64 v128 funcref externref)
       (local $x i32)
       block $out
         loop $l
           local.get $x i32.const 1 i32.add local.tee $x
           i32.const 100 i32.lt_s br_if $l
         end
       end
       local.get $x))`,
  `(module
     (memory (export "mem") 1 65536)
     (table (export "tab") 0 100 funcref)
     (global (export "glob") (mut f32) (f32.const 0))
     (func (export "fn"))
     (export "fn again" (func 0))
     (export "日本語" (func 0)))`,
];

async function loadWabt() {
  return await (await import("wabt")).default();
}

function coreBinary(
  wabt: Awaited<ReturnType<typeof loadWabt>>,
  text: string,
  debugNames = false,
  features: Readonly<Record<string, boolean>> = FEATURES,
): Uint8Array {
  // As bytes: wabt would read a string as Latin-1.
  const m = wabt.parseWat("x.wat", new TextEncoder().encode(text), features);
  try {
    m.resolveNames();
    // validate() takes the features too, though wabt's typings do not say so.
    (m as unknown as { validate(features: object): void }).validate(features);
    const out = m.toBinary({ canonicalize_lebs: true, write_debug_names: debugNames });
    return new Uint8Array(out.buffer);
  } finally {
    m.destroy();
  }
}

Deno.test("round trip: core binaries from wabt", async () => {
  const wabt = await loadWabt();
  for (const [i, text] of CORE_WAT.entries()) {
    for (const names of [false, true]) {
      const bytes = coreBinary(wabt, text, names);
      const ir = decode(bytes);
      assertSameBytes(encode(ir), bytes, `snippet ${i}${names ? " with names" : ""}`);
      // And the IR survives its own round trip.
      assertEquals(strip(decode(encode(ir))), strip(ir));
    }
  }
});

Deno.test("decode: fields of a wabt core module", async () => {
  const wabt = await loadWabt();
  const bytes = coreBinary(wabt, CORE_WAT[2]);
  const ir = decode(bytes);
  assertEquals(ir.offset, 0);
  const imports = find(ir, 2);
  assertEquals(strip(imports.imports), [
    imp("spectest", "print_i32", fn(0)),
    imp("spectest", "table", { kind: 1, type: { elem: FUNCREF, limits: { min: 10, max: 20 } } }),
    imp("spectest", "memory", {
      kind: 2,
      type: { limits: { min: 1, max: 2 }, shared: false, memory64: false },
    }),
    imp("spectest", "global_i32", { kind: 3, type: { type: I32, mutable: false } }),
    imp("env", "g", { kind: 3, type: { type: I64, mutable: true } }),
    imp("env", "ext", { kind: 1, type: { elem: EXTERNREF, limits: { min: 0 } } }),
  ]);
  const code = find(ir, 10);
  // Raw sections are views into the input, not copies.
  assert(code.data.buffer === bytes.buffer);
  assertEquals(bytes[code.offset! + 1 + u32Size(code.data.length)], code.data[0]);

  const globals = find(decode(coreBinary(wabt, CORE_WAT[4])), 6);
  assertEquals(globals.globals.length, 11);
  assertEquals([...globals.globals[0].init], [0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x0b]);
  assertEquals(globals.globals[1].type, { type: I64, mutable: true });
  assertEquals(globals.globals[4].init.length, 2 + 16 + 1);
  assertEquals([...globals.globals[7].init], [0xd2, 0, 0x0b]);

  const mems = find(decode(coreBinary(wabt, CORE_WAT[3])), 5);
  assertEquals(mems.memories, [
    { limits: { min: 1 }, shared: false, memory64: false },
    { limits: { min: 2, max: 3 }, shared: false, memory64: false },
    { limits: { min: 4, max: 5 }, shared: false, memory64: true },
  ]);
});

Deno.test("round trip: a core binary with tags from wabt", async () => {
  const wabt = await loadWabt();
  const text = `(module
     (import "env" "t" (tag $t (param i32)))
     (memory 1)
     (tag $e (param i32 f64))
     (tag $n)
     (global i32 (i32.const 0))
     (export "e" (tag $e))
     (export "t" (tag $t))
     (func (export "f") (param i32) local.get 0 throw $t))`;
  const bytes = coreBinary(wabt, text, false, { ...FEATURES, exceptions: true });
  const ir = decode(bytes);
  assertSameBytes(encode(ir), bytes, "tags");
  assertEquals(ir.sections.map((s) => s.id), [1, 2, 3, 5, 13, 6, 7, 10]);
  assertEquals(find(ir, 2).imports[0].desc, { kind: 4, type: 0 });
  assertEquals(find(ir, 13).tags, [1, 2]);
  assertEquals(strip(find(ir, 7).exports.slice(0, 2)), [
    { name: "e", kind: 4, index: 1 },
    { name: "t", kind: 4, index: 0 },
  ]);
});

// ---------------------------------------------------------------------------
// Decoded fields and offsets of module-linking binaries

Deno.test("decode: the bytes of tags and of instances made of exports", () => {
  // A tag section: vec(attribute 0x00, type index).
  const tagSec = sec(13, [2, 0x00, 0, 0x00, ...leb(300)]);
  // A tag import: kind 0x04, attribute 0x00, type index; its export: kind 0x04, tag index.
  const importSec = sec(2, [1, ...str("m"), ...str("t"), 0x04, 0x00, 1]);
  const exportSec = sec(7, [1, ...str("t"), 0x04, 2]);
  // Form 0x01: vec(name, kind, index), and no module index.
  const instanceSec = sec(15, [1, 0x01, 2, ...str("f"), 0x00, 3, ...str("t"), 0x04, 0]);
  const bytes = wasm(importSec, instanceSec, tagSec, exportSec);
  const ir = decode(bytes);
  assertEquals(strip(ir.sections), [
    { id: 2, imports: [imp("m", "t", { kind: 4, type: 1 })] },
    {
      id: 15,
      instances: [{
        form: "exports",
        exports: [{ name: "f", kind: 0, index: 3 }, { name: "t", kind: 4, index: 0 }],
      }],
    },
    { id: 13, tags: [0, 300] },
    { id: 7, exports: [{ name: "t", kind: 4, index: 2 }] },
  ]);
  assertEquals(nth(ir, 1, 15).instances[0].offset, 8 + importSec.length + 3);
  assertSameBytes(encode(ir), bytes);
});

Deno.test("decode: offsets of sections, entries and nested modules", () => {
  const child = wasm(sec(8, [0]));
  const typeSec = sec(1, [2, 0x60, 0, 0, 0x62, 0]);
  const importSec = sec(2, [2, ...str("a"), 0, 0xff, 0, 0, ...str("b"), ...str("c"), 6, 1]);
  const moduleSec = sec(14, [1, ...leb(child.length), ...child]);
  const instanceSec = sec(15, [1, 0, 0, 1, ...str("x"), 0, 0]);
  const aliasSec = sec(16, [2, 0, 1, 0, ...str("f"), 1, 0, 7, 0]);
  const exportSec = sec(7, [1, ...str("e"), 0, 1]);
  const bytes = wasm(typeSec, importSec, moduleSec, instanceSec, aliasSec, exportSec);
  const ir = decode(bytes);
  assertEquals(ir.offset, 0);

  let at = 8;
  const starts: number[] = [];
  for (const s of [typeSec, importSec, moduleSec, instanceSec, aliasSec, exportSec]) {
    starts.push(at);
    at += s.length;
  }
  assertEquals(ir.sections.map((s) => s.offset), starts);
  assertEquals(ir.sections.map((s) => s.id), [1, 2, 14, 15, 16, 7]);

  const types = nth(ir, 0, 1), imports = nth(ir, 1, 2), modules = nth(ir, 2, 14);
  const instances = nth(ir, 3, 15), aliases = nth(ir, 4, 16), exports = nth(ir, 5, 7);
  // Entries start after the id, size and count bytes.
  assertEquals(types.types.map((t) => t.offset), [starts[0] + 3, starts[0] + 6]);
  assertEquals(imports.imports.map((i) => i.offset), [starts[1] + 3, starts[1] + 3 + 6]);
  assertEquals(imports.imports[0], {
    module: "a",
    field: null,
    desc: fn(0),
    offset: starts[1] + 3,
  });
  assertEquals(imports.imports[1].field, "c");
  assertEquals(imports.imports[1].desc, { kind: 6, type: 1 });
  assertEquals(modules.modules[0].offset, starts[2] + 4);
  assertEquals(modules.modules[0].sections[0].offset, starts[2] + 4 + 8);
  assertEquals(instances.instances, [{
    form: "instantiate",
    module: 0,
    args: [{ name: "x", kind: 0, index: 0 }],
    offset: starts[3] + 3,
  }]);
  assertEquals(aliases.aliases, [
    { form: "instanceExport", instance: 1, kind: 0, name: "f", offset: starts[4] + 3 },
    { form: "outerType", depth: 0, index: 0, offset: starts[4] + 3 + 5 },
  ]);
  assertEquals(exports.exports, [{ name: "e", kind: 0, index: 1, offset: starts[5] + 3 }]);
  assertSameBytes(encode(ir), bytes);
});

Deno.test("decode: an empty field name without 0xff is a two-level import", () => {
  const bytes = wasm(sec(2, [1, ...str("m"), 0, 0x00, 0]));
  const s = nth(decode(bytes), 0, 2);
  assertEquals(s.imports[0].field, "");
  assertSameBytes(encode(decode(bytes)), bytes);
});

Deno.test("decode: global initializers are views that end with `end`", () => {
  const bytes = wasm(sec(6, [2, I32, 0, 0x41, 5, 0x0b, I64, 1, 0x42, 0x7f, 0x0b]));
  const s = nth(decode(bytes), 0, 6);
  assertEquals(s.globals.map((g) => [...g.init]), [[0x41, 5, 0x0b], [0x42, 0x7f, 0x0b]]);
  assertEquals(s.globals[1].type, { type: I64, mutable: true });
  assert(s.globals[0].init.buffer === bytes.buffer);
});

Deno.test("decode: section order and repetition are left to the validator", () => {
  const bytes = wasm(
    sec(10, [0]),
    sec(8, [1]),
    sec(8, [2]),
    sec(1, [0]),
    sec(14, [0]),
    sec(1, [1, 0x60, 0, 0]),
    sec(12, [0]),
  );
  const ir = decode(bytes);
  assertEquals(ir.sections.map((s) => s.id), [10, 8, 8, 1, 14, 1, 12]);
  assertSameBytes(encode(ir), bytes);
});

Deno.test("decode: works on a view with a non-zero byteOffset", () => {
  const inner = wasm(sec(8, [5]));
  const outer = new Uint8Array(inner.length + 10);
  outer.set(inner, 10);
  const ir = decode(outer.subarray(10));
  assertEquals(ir.sections, [{ id: 8, func: 5, offset: 8 }]);
});

// ---------------------------------------------------------------------------
// Errors

Deno.test("malformed: header", () => {
  malformed(new Uint8Array([]), "unexpected end", 0);
  malformed(new Uint8Array([1]), "unexpected end", 1);
  malformed(new Uint8Array([0, 0x61, 0x73]), "unexpected end", 3);
  malformed(new Uint8Array([0, 0x41, 0x53, 0x4d, 1, 0, 0, 0]), "magic header not detected", 0);
  malformed(new Uint8Array([0, 0x61, 0x73, 0x6d]), "unexpected end", 4);
  malformed(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0]), "unexpected end", 7);
  malformed(new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]), "unknown binary version", 4);
  malformed(new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), "unknown binary version", 4);
});

Deno.test("malformed: section framing", () => {
  malformed(wasm([17, 0]), "malformed section id 17", 8);
  malformed(wasm(sec(8, [0]), [0x80, 0]), "malformed section id 128", 11);
  malformed(wasm(sec(13, [1, 1, 0])), "invalid tag attributes 0x01", 11);
  malformed(wasm(sec(13, [2, 0, 0])), "unexpected end", 13);
  malformed(wasm([1]), "unexpected end", 9);
  malformed(wasm([1, 5, 0]), "length out of bounds", 9);
  malformed(wasm([0, 0x80, 0x80, 0x80, 0x80, 0x10]), "integer too large", 9);
  // Declared size larger than the payload read.
  malformed(wasm(sec(1, [1, 0x60, 0, 0, 0])), "section size mismatch", 8 + 2 + 4);
  // Declared size smaller than the payload: reading runs into what follows.
  malformed(wasm([1, 3, 1, 0x60, 0, 0]), "section size mismatch", 8 + 2 + 4);
  malformed(wasm(sec(3, [2, 0])), "unexpected end of section or function", 8 + 4);
  // Two concatenated modules: the second header reads as a custom section of size 0x61.
  malformed(wasm([...HEADER]), "length out of bounds", 9);
});

Deno.test("malformed: custom sections", () => {
  malformed(wasm([0]), "unexpected end", 9);
  malformed(wasm([0, 0]), "unexpected end", 10);
  // The name must fit in the section even when more bytes follow.
  malformed(wasm([0, 0], sec(8, [0])), "unexpected end", 10);
  malformed(wasm([0, 2, 3, 0x61, 0x62]), "length out of bounds", 10);
  malformed(wasm(sec(0, [2, 0xc3, 0x28])), "malformed UTF-8 encoding", 11);
});

Deno.test("malformed: types", () => {
  malformed(wasm(sec(1, [1, 0x40])), "malformed type form 0x40", 11);
  malformed(wasm(sec(1, [1, 0xe0, 0x7f, 0, 0])), "integer representation too long", 11);
  malformed(wasm(sec(1, [2, 0x60, 0, 0, 0x60, 1, 0x7a, 0])), "malformed value type 0x7a", 16);
  malformed(wasm(sec(1, [1, 0x61, 0, 1, ...str("e"), 4, 2, 0])), "invalid tag attributes 0x02", 17);
  malformed(wasm(sec(1, [1, 0x62, 1, ...str("e"), 9, 0])), "malformed import kind 0x09", 15);
});

Deno.test("malformed: imports", () => {
  const entry = (desc: number[]) => wasm(sec(2, [1, ...str("m"), ...str("f"), ...desc]));
  malformed(entry([4, 1, 0]), "invalid tag attributes 0x01", 16);
  malformed(entry([4, 0]), "unexpected end of section or function", 17);
  malformed(entry([7, 0]), "malformed import kind 0x07", 15);
  malformed(entry([0x80, 0]), "malformed import kind 0x80", 15);
  malformed(entry([1, 0x7f, 0, 0]), "malformed reference type 0x7f", 16);
  malformed(entry([1, 0x70, 2, 0]), "malformed limits flags 0x02: integer too large", 17);
  malformed(entry([1, 0x70, 0x81, 0]), "integer representation too long", 17);
  malformed(entry([2, 8, 0]), "malformed limits flags 0x08", 16);
  malformed(entry([2, 5, ...leb(2 ** 53)]), "2^53", 17);
  malformed(entry([3, 0x40, 0]), "malformed value type 0x40", 16);
  malformed(entry([3, I32, 2]), "malformed mutability", 17);
  malformed(entry([0, 0x80, 0x80, 0x80, 0x80, 0x80, 0]), "integer representation too long", 16);
  malformed(entry([5]), "unexpected end of section or function", 16);
  // A single-level import still needs its descriptor.
  malformed(wasm(sec(2, [1, ...str("m"), 0, 0xff])), "unexpected end", 15);
  malformed(
    wasm(sec(2, [1, 2, 0xff, 0xfe, ...str("f"), 0, 0])),
    "malformed UTF-8 encoding",
    12,
  );
});

Deno.test("malformed: globals and constant expressions", () => {
  const global = (type: number, init: number[]) => wasm(sec(6, [1, type, 0, ...init]));
  malformed(global(I32, [0x01, 0x0b]), "constant expression required", 13);
  malformed(global(I32, [0x41, 0, 0x41, 1, 0x6d, 0x0b]), "constant expression required", 17);
  malformed(global(I32, [0x20, 0, 0x0b]), "constant expression required", 13);
  malformed(global(V128, [0xfd, 13, ...Array(16).fill(0), 0x0b]), "constant expression", 13);
  malformed(global(FUNCREF, [0xd0, 0x7f, 0x0b]), "malformed reference type", 14);
  malformed(global(I32, [0x41, 0x80, 0x80, 0x80, 0x80, 0x70, 0x0b]), "integer too large", 14);
  malformed(
    global(I64, [0x42, ...Array(10).fill(0x80), 0x00, 0x0b]),
    "integer representation too long",
    14,
  );
  malformed(global(I32, [0x41, 0]), "unexpected end", 15);
  malformed(global(F64, [0x44, 0, 0, 0, 0x0b]), "unexpected end", 18);
  malformed(wasm(sec(6, [1, I32, 3, 0x41, 0, 0x0b])), "malformed mutability 0x03", 12);
});

Deno.test("malformed: tables and memories", () => {
  malformed(wasm(sec(4, [1, 0x7b, 0, 0])), "malformed reference type", 11);
  malformed(wasm(sec(4, [1, 0x70, 3, 0])), "malformed limits flags", 12);
  malformed(wasm(sec(5, [1, 0x10, 0])), "malformed limits flags 0x10", 11);
  malformed(wasm(sec(5, [1, 0x00, 0x82, 0x80, 0x80, 0x80, 0x70])), "integer too large", 12);
  malformed(wasm(sec(5, [1])), "unexpected end of section or function", 11);
});

Deno.test("malformed: exports, instances and aliases", () => {
  malformed(wasm(sec(7, [1, ...str("e"), 7, 0])), "malformed export kind 0x07", 13);
  malformed(wasm(sec(15, [1, 2, 0, 0])), "malformed instance definition 0x02", 11);
  malformed(
    wasm(sec(15, [1, 0, 0, 1, ...str("a"), 7, 0])),
    "malformed instance argument kind 0x07",
    16,
  );
  malformed(
    wasm(sec(15, [1, 1, 1, ...str("a"), 7, 0])),
    "malformed instance export kind 0x07",
    15,
  );
  // Form 0x01 has no module index: its count follows the form byte.
  malformed(wasm(sec(15, [1, 1, 0, 0])), "section size mismatch", 13);
  malformed(wasm(sec(15, [1, 1, 1, ...str("a"), 0])), "unexpected end", 16);
  malformed(wasm(sec(16, [1, 2, 0, 0])), "malformed alias", 11);
  malformed(wasm(sec(16, [1, 0, 0, 7, ...str("x")])), "malformed alias kind 0x07", 13);
  malformed(wasm(sec(16, [1, 1, 0, 0, 0])), "malformed outer alias kind 0x00", 13);
  malformed(wasm(sec(16, [1, 1, 0, 6, 0])), "malformed outer alias kind 0x06", 13);
});

Deno.test("malformed: nested modules report outer offsets and a path", () => {
  // Module index space of the outer module: an import (0), an alias (1), then the child (2).
  // The child: an outer alias (0), then the grandchild (1).
  const grandchild = wasm(sec(8, [0]), [17, 0]);
  const child = wasm(
    sec(16, [1, 1, 0, 5, 0]),
    sec(14, [1, ...leb(grandchild.length), ...grandchild]),
  );
  const outer = wasm(
    sec(1, [1, 0x61, 0, 0]),
    sec(2, [1, ...str("m"), 0, 0xff, 5, 0]),
    sec(2, [1, ...str("f"), 0, 0xff, 0, 0]),
    sec(16, [2, 0, 0, 5, ...str("x"), 0, 0, 0, ...str("y")]),
    sec(14, [1, ...leb(child.length), ...child]),
  );
  const grandchildAt = outer.length - grandchild.length;
  malformed(outer, "malformed section id 17", grandchildAt + 8 + 3, ["module 2", "module 1"]);
  const e: CompileError = assertThrows(() => decode(outer), CompileError);
  assert(e.message.startsWith("module 2 > module 1: malformed section id 17"), e.message);

  // Errors in a nested header.
  const badChild = [0, 0x61, 0x73, 0x6d, 9, 0, 0, 0];
  const m = wasm(sec(14, [2, 0, ...leb(badChild.length), ...badChild]));
  malformed(m, "unexpected end", 12, ["module 0"]);
  const m2 = wasm(sec(14, [2, 8, ...HEADER, ...leb(badChild.length), ...badChild]));
  malformed(m2, "unknown binary version", 8 + 2 + 1 + 9 + 1 + 4, ["module 1"]);
  // A nested module's size must fit in the parent.
  malformed(wasm(sec(14, [1, 100, ...HEADER])), "length out of bounds", 11);
  // The nested module ends where its size says, even mid-section.
  const cut = [...HEADER, 8];
  malformed(wasm(sec(14, [1, cut.length, ...cut]), sec(8, [0])), "unexpected end", 12 + 9, [
    "module 0",
  ]);
});

Deno.test("malformed: a vector count of 0xffffffff fails fast", () => {
  for (const id of [1, 2, 3, 4, 5, 6, 7, 13, 14, 15, 16]) {
    const start = performance.now();
    malformed(wasm(sec(id, [0xff, 0xff, 0xff, 0xff, 0x0f])), "length out of bounds", 10);
    assert(performance.now() - start < 50);
  }
  malformed(wasm(sec(1, [1, 0x60, 0xff, 0xff, 0xff, 0xff, 0x0f, 0])), "length out of bounds", 12);
  malformed(
    wasm(sec(15, [1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f])),
    "length out of bounds",
    13,
  );
});

Deno.test("malformed: more entries than MAX_ITEMS", () => {
  const n = 1_000_001;
  const payload = new Uint8Array(leb(n).length + n);
  payload.set(leb(n));
  const bytes = [...HEADER, 3, ...leb(payload.length)];
  const all = new Uint8Array(bytes.length + payload.length);
  all.set(bytes);
  all.set(payload, bytes.length);
  malformed(all, "too many entries: 1000001 exceeds the limit of 1000000", bytes.length);
});

Deno.test("malformed: modules nested 150 deep", () => {
  let inner = wasm();
  for (let i = 0; i < 150; i++) inner = wasm(sec(14, [1, ...leb(inner.length), ...inner]));
  const e: CompileError = assertThrows(() => decode(inner), CompileError);
  assertEquals(e.reason, "modules nested more than 100 deep");
  assertEquals(e.path.length, 100);
  assert(e.path.every((p) => p === "module 0"));

  // 100 deep is fine.
  let ok = mod();
  for (let i = 0; i < 100; i++) ok = mod({ id: 14, modules: [ok] });
  roundTripIR(ok, "100 deep");
});

// ---------------------------------------------------------------------------
// Hostile input

/** Byte lengths at which a prefix of `bytes` is itself a complete module. */
function boundaries(bytes: Uint8Array): Set<number> {
  const ends = new Set<number>([8]);
  for (const s of decode(bytes).sections) {
    const r = new Reader(bytes);
    r.pos = s.offset! + 1;
    const size = r.u32();
    ends.add(r.pos + size);
  }
  return ends;
}

Deno.test("truncation: every prefix fails with CompileError unless it ends a section", async () => {
  const wabt = await loadWabt();
  const samples = [
    encode(nested(3)),
    encode(HAND_BUILT[2][1]),
    encode(HAND_BUILT[5][1]),
    coreBinary(wabt, CORE_WAT[4]),
    coreBinary(wabt, CORE_WAT[5], true),
  ];
  for (const bytes of samples) {
    const valid = boundaries(bytes);
    for (let n = 0; n < bytes.length; n++) {
      const prefix = bytes.slice(0, n);
      if (valid.has(n)) {
        decode(prefix);
        continue;
      }
      assertThrows(() => decode(prefix), CompileError, undefined, `prefix ${n}`);
    }
  }
});

Deno.test("corruption: random byte changes give IR or a CompileError, nothing else", () => {
  // A small deterministic PRNG, so failures reproduce.
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const base = encode(nested(3));
  for (let round = 0; round < 3000; round++) {
    const bytes = base.slice();
    const changes = 1 + rand(4);
    for (let i = 0; i < changes; i++) {
      const at = 8 + rand(bytes.length - 8);
      bytes[at] = rand(4) === 0 ? 0xff : rand(256);
    }
    try {
      decode(bytes);
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
    }
  }
});

Deno.test("a name that is a byte-order mark stays one (TextDecoder would strip it)", () => {
  const bom = "\ufeff";
  const bytes = encode({ sections: [{ id: 7, exports: [{ name: bom, kind: 0, index: 0 }] }] });
  const decoded = decode(bytes).sections[0] as { exports: { name: string }[] };
  assertEquals(decoded.exports[0].name, bom);
});
