/**
 * The one home for opcode facts: every core instruction V8 accepts here,
 * and what follows each opcode, with each index immediate tagged by the
 * index space it names. The skipper (`instructions.ts`, for error
 * locations) and the fusion rewriter (`lib/fuse/`, which renumbers
 * indices) both read instructions through this table.
 *
 * Covered: core 2.0 (the MVP, sign extension, saturating truncation,
 * multi-value, bulk memory, reference types, SIMD), relaxed SIMD, tail
 * calls, typed function references, GC, threads (atomics), multi-memory,
 * memory64, and exception handling (legacy `try`/`catch`/`delegate` and
 * `try_table`/`throw_ref`). An opcode outside the table is unknown:
 * `tests/fuse_rewrite_test.ts` checks the table against V8 both ways.
 *
 * @module
 */

import type { Reader } from "../binary/reader.ts";

/** The opcodes whose place in the block structure the text front-end checks, and the prefixes. */
export const Opcode = {
  Block: 0x02,
  Loop: 0x03,
  If: 0x04,
  Else: 0x05,
  Try: 0x06,
  Catch: 0x07,
  End: 0x0b,
  Delegate: 0x18,
  CatchAll: 0x19,
  TryTable: 0x1f,
  /** GC: structs, arrays, casts, i31. */
  PrefixGc: 0xfb,
  /** Saturating truncation, bulk memory and table instructions. */
  PrefixMisc: 0xfc,
  /** SIMD. */
  PrefixSimd: 0xfd,
  /** Atomics. */
  PrefixAtomic: 0xfe,
} as const;

/** An index space of a core module whose indices instructions and sections name. */
export type IndexSpace =
  | "func"
  | "type"
  | "table"
  | "memory"
  | "global"
  | "tag"
  | "data"
  | "elem";

/** Every index space, in a fixed order. */
export const INDEX_SPACES: readonly IndexSpace[] = [
  "func",
  "type",
  "table",
  "memory",
  "global",
  "tag",
  "data",
  "elem",
];

/**
 * One immediate of an instruction. An {@linkcode IndexSpace} is a u32 index
 * into that space; the others are:
 *
 * - `local`, `label`: a u32 local or label index (never renumbered);
 * - `u32`: another u32 (a struct field index, `array.new_fixed`'s length);
 * - `byte`: one byte (a SIMD lane, `atomic.fence`'s reserved byte, cast flags);
 * - `i32`, `i64`: signed LEB128 constants; `f32`, `f64`, `v128`: 4, 8 and
 *   16 raw bytes (`v128` is also `i8x16.shuffle`'s lanes);
 * - `blockType`: empty, a value type, or a type index (a non-negative s33);
 * - `brTable`: a vector of labels and the default label;
 * - `memArg`: alignment (bit 6: a memory index follows), memory index, offset;
 * - `valTypes`: a vector of value types (`select t*`);
 * - `heapType`: an abstract heap type or a type index (s33);
 * - `tryTable`: a block type and a vector of catch clauses (tags, labels).
 */
export type Immediate =
  | IndexSpace
  | "local"
  | "label"
  | "u32"
  | "byte"
  | "i32"
  | "i64"
  | "f32"
  | "f64"
  | "v128"
  | "blockType"
  | "brTable"
  | "memArg"
  | "valTypes"
  | "heapType"
  | "tryTable";

/** What follows an opcode; shared arrays, never mutated. */
type Shape = readonly Immediate[];

const NONE: Shape = [];
const MEM_ARG: Shape = ["memArg"];
const LANE: Shape = ["byte"];

/** Fills `table[from..to]` (inclusive) with `shape`. */
function fill(table: (Shape | undefined)[], from: number, to: number, shape: Shape): void {
  for (let op = from; op <= to; op++) table[op] = shape;
}

/** A table of sub-opcodes from `[sub, shape]` pairs and `[from, to, shape]` ranges. */
function table(
  size: number,
  entries: readonly (readonly [number, Shape] | readonly [number, number, Shape])[],
): readonly (Shape | undefined)[] {
  const t = new Array<Shape | undefined>(size).fill(undefined);
  for (const e of entries) {
    if (e.length === 2) t[e[0]] = e[1];
    else fill(t, e[0], e[1], e[2]);
  }
  return t;
}

/** Single-byte opcodes. */
const SINGLE = table(0x100, [
  [0x00, 0x01, NONE], // unreachable, nop
  [0x02, 0x04, ["blockType"]], // block, loop, if
  [0x05, NONE], // else
  [0x06, ["blockType"]], // try
  [0x07, ["tag"]], // catch
  [0x08, ["tag"]], // throw
  [0x09, ["label"]], // rethrow
  [0x0a, 0x0b, NONE], // throw_ref, end
  [0x0c, 0x0d, ["label"]], // br, br_if
  [0x0e, ["brTable"]],
  [0x0f, NONE], // return
  [0x10, ["func"]], // call
  [0x11, ["type", "table"]], // call_indirect
  [0x12, ["func"]], // return_call
  [0x13, ["type", "table"]], // return_call_indirect
  [0x14, 0x15, ["type"]], // call_ref, return_call_ref
  [0x18, ["label"]], // delegate
  [0x19, 0x1b, NONE], // catch_all, drop, select
  [0x1c, ["valTypes"]], // select t*
  [0x1f, ["tryTable"]],
  [0x20, 0x22, ["local"]], // local.get, local.set, local.tee
  [0x23, 0x24, ["global"]], // global.get, global.set
  [0x25, 0x26, ["table"]], // table.get, table.set
  [0x28, 0x3e, MEM_ARG], // loads and stores
  [0x3f, 0x40, ["memory"]], // memory.size, memory.grow
  [0x41, ["i32"]],
  [0x42, ["i64"]],
  [0x43, ["f32"]],
  [0x44, ["f64"]],
  [0x45, 0xc4, NONE], // numeric: i32.eqz … i64.extend32_s
  [0xd0, ["heapType"]], // ref.null
  [0xd1, NONE], // ref.is_null
  [0xd2, ["func"]], // ref.func
  [0xd3, 0xd4, NONE], // ref.eq, ref.as_non_null
  [0xd5, 0xd6, ["label"]], // br_on_null, br_on_non_null
]);

/** 0xfb: GC. */
const GC = table(0x1f, [
  [0x00, 0x01, ["type"]], // struct.new, struct.new_default
  [0x02, 0x05, ["type", "u32"]], // struct.get, struct.get_s, struct.get_u, struct.set: type, field
  [0x06, 0x07, ["type"]], // array.new, array.new_default
  [0x08, ["type", "u32"]], // array.new_fixed: type, length
  [0x09, ["type", "data"]], // array.new_data
  [0x0a, ["type", "elem"]], // array.new_elem
  [0x0b, 0x0e, ["type"]], // array.get, array.get_s, array.get_u, array.set
  [0x0f, NONE], // array.len
  [0x10, ["type"]], // array.fill
  [0x11, ["type", "type"]], // array.copy: destination, source
  [0x12, ["type", "data"]], // array.init_data
  [0x13, ["type", "elem"]], // array.init_elem
  [0x14, 0x17, ["heapType"]], // ref.test, ref.test null, ref.cast, ref.cast null
  [0x18, 0x19, ["byte", "label", "heapType", "heapType"]], // br_on_cast, br_on_cast_fail
  [0x1a, 0x1e, NONE], // any.convert_extern, extern.convert_any, ref.i31, i31.get_s, i31.get_u
]);

/** 0xfc: saturating truncation (0–7), bulk memory and tables. */
const MISC = table(0x12, [
  [0x00, 0x07, NONE], // i32.trunc_sat_f32_s … i64.trunc_sat_f64_u
  [0x08, ["data", "memory"]], // memory.init
  [0x09, ["data"]], // data.drop
  [0x0a, ["memory", "memory"]], // memory.copy: destination, source
  [0x0b, ["memory"]], // memory.fill
  [0x0c, ["elem", "table"]], // table.init
  [0x0d, ["elem"]], // elem.drop
  [0x0e, ["table", "table"]], // table.copy: destination, source
  [0x0f, 0x11, ["table"]], // table.grow, table.size, table.fill
]);

/** 0xfd: SIMD, relaxed SIMD up to 0x113. Numbers left out are holes in the encoding. */
const SIMD = (() => {
  const t = table(0x114, [
    [0x00, 0x0b, MEM_ARG], // v128.load, the extending and splatting loads, v128.store
    [0x0c, ["v128"]], // v128.const
    [0x0d, ["v128"]], // i8x16.shuffle: 16 lane indices
    [0x0e, 0x14, NONE], // i8x16.swizzle, splats
    [0x15, 0x22, LANE], // extract_lane, replace_lane
    [0x23, 0x53, NONE], // comparisons, bitwise operations
    [0x54, 0x5b, ["memArg", "byte"]], // v128.load*_lane, v128.store*_lane
    [0x5c, 0x5d, MEM_ARG], // v128.load32_zero, v128.load64_zero
    [0x5e, 0x113, NONE], // arithmetic and conversions, then relaxed SIMD from 0x100
  ]) as (Shape | undefined)[];
  const holes = [0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb];
  holes.push(0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee);
  for (const hole of holes) t[hole] = undefined;
  return t;
})();

/** 0xfe: atomics. */
const ATOMIC = table(0x4f, [
  [0x00, 0x02, MEM_ARG], // memory.atomic.notify, memory.atomic.wait32, memory.atomic.wait64
  [0x03, LANE], // atomic.fence: a reserved byte
  [0x10, 0x4e, MEM_ARG], // atomic loads, stores, read-modify-writes, cmpxchg
]);

/** The sub-opcode table of each prefix. */
const PREFIXED: ReadonlyMap<number, readonly (Shape | undefined)[]> = new Map([
  [Opcode.PrefixGc, GC],
  [Opcode.PrefixMisc, MISC],
  [Opcode.PrefixSimd, SIMD],
  [Opcode.PrefixAtomic, ATOMIC],
]);

/**
 * Reads an opcode (a byte, and for a prefix its u32 sub-opcode) and returns
 * the immediates that follow it, in order.
 *
 * @param r The reader, at the opcode's first byte.
 * @returns The immediates, a shared array not to be changed.
 * @throws {CompileError} for an opcode V8 does not accept, naming it and its offset.
 *
 * @example
 * ```ts
 * import { Reader } from "../binary/reader.ts";
 * import { readOpcode } from "./opcodes.ts";
 * readOpcode(new Reader(new Uint8Array([0x11, 0x02, 0x00]))); // ["type", "table"] (call_indirect)
 * readOpcode(new Reader(new Uint8Array([0xfc, 0x08, 0x00, 0x00]))); // ["data", "memory"] (memory.init)
 * ```
 */
export function readOpcode(r: Reader): readonly Immediate[] {
  const start = r.pos;
  const op = r.u8();
  const single = SINGLE[op];
  if (single !== undefined) return single;
  const sub = PREFIXED.get(op);
  if (sub === undefined) throw r.error(`unknown opcode 0x${hex(op)}`, start);
  const code = r.u32();
  const shape = sub[code];
  if (shape === undefined) throw r.error(`unknown opcode 0x${hex(op)} 0x${hex(code)}`, start);
  return shape;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/** One entry of the opcode table. */
export interface OpcodeEntry {
  /** The prefix byte, for a prefixed opcode. */
  readonly prefix?: number;
  /** The opcode byte, or the prefixed opcode's sub-opcode. */
  readonly code: number;
  /** What follows it. */
  readonly immediates: readonly Immediate[];
}

/**
 * Every opcode of the table: single-byte ones first, then each prefix's
 * sub-opcodes in order.
 *
 * @returns The entries, in encoding order.
 *
 * @example
 * ```ts
 * import { opcodes } from "./opcodes.ts";
 * const all = [...opcodes()];
 * all.find((e) => e.prefix === 0xfc && e.code === 0x0c)?.immediates; // ["elem", "table"] (table.init)
 * ```
 */
export function* opcodes(): Generator<OpcodeEntry> {
  for (let code = 0; code < SINGLE.length; code++) {
    const immediates = SINGLE[code];
    if (immediates !== undefined) yield { code, immediates };
  }
  for (const [prefix, sub] of PREFIXED) {
    for (let code = 0; code < sub.length; code++) {
      const immediates = sub[code];
      if (immediates !== undefined) yield { prefix, code, immediates };
    }
  }
}
