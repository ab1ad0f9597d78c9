/**
 * Exact calls for floats and vectors. JS numbers cannot carry NaN payloads
 * and v128 values cannot cross into JS at all, so a call whose parameters or
 * results include f32, f64 or v128 runs inside a small generated core
 * module (compiled through mlink like everything else): it imports the
 * function, pushes the arguments as wasm constants written as the script
 * wrote them, calls it, and stores every result's bits in its memory, next
 * to the bits of the expected constants, which wabt parsed from the
 * script's own text. The runner then compares bits, and NaN classes
 * (`nan:canonical`, `nan:arithmetic`) by their bit patterns.
 *
 * @module
 */

import { compile } from "../api.ts";
import { instantiateSync } from "../runtime/instantiate.ts";
import type { SExpr, SList } from "../text/sexpr.ts";
import { headOf } from "./values.ts";

const SIZE: Readonly<Record<string, number>> = { i32: 4, i64: 8, f32: 4, f64: 8, v128: 16 };
const EXPECTED_AT = 1024;

/** A result pattern: bytes to compare, or NaN classes by lane. */
interface Pattern {
  type: string;
  /** Per lane (one lane for scalars): a NaN class, or null for exact bits. */
  lanes: (string | null)[];
  laneType: string;
}

function atom(e: SExpr | undefined): string {
  return e?.type === "atom" ? e.text : "";
}

/** `nan:canonical` and `nan:arithmetic` are classes; `nan:0x…` is an exact value. */
function isNanClass(text: string): boolean {
  return text === "nan:canonical" || text === "nan:arithmetic";
}

function patternOf(e: SList): Pattern {
  const head = headOf(e)!;
  const type = head.split(".")[0];
  if (type === "v128") {
    const shape = atom(e.items[1]);
    const laneType = shape.slice(0, 3);
    const lanes = e.items.slice(2).map((l) => isNanClass(atom(l)) ? atom(l) : null);
    return { type, lanes, laneType };
  }
  const value = atom(e.items[1]);
  return { type, lanes: [isNanClass(value) ? value : null], laneType: type };
}

function storeOp(type: string): string {
  return type === "i32" || type === "i64" || type === "f32" || type === "f64" || type === "v128"
    ? `${type}.store`
    : "";
}

/** WAT that stores the expected constant `e` at `at`, lane by lane where NaN classes leave gaps. */
function storeExpected(e: SList, text: string, at: number): string {
  const p = patternOf(e);
  if (p.lanes.every((l) => l === null)) {
    return `(${storeOp(p.type)} offset=${at} (i32.const 0) ${text.slice(e.start, e.end)})`;
  }
  if (p.type !== "v128") return ""; // a scalar NaN class: nothing concrete to store
  const laneSize = 16 / p.lanes.length;
  const lanes = e.items.slice(2);
  let out = "";
  p.lanes.forEach((cls, k) => {
    if (cls !== null) return;
    const lane = atom(lanes[k]);
    const off = at + k * laneSize;
    if (p.laneType === "f32" || p.laneType === "f64") {
      out += `(${p.laneType}.store offset=${off} (i32.const 0) (${p.laneType}.const ${lane}))`;
    } else if (laneSize === 8) {
      out += `(i64.store offset=${off} (i32.const 0) (i64.const ${lane}))`;
    } else {
      const op = laneSize === 1 ? "i32.store8" : laneSize === 2 ? "i32.store16" : "i32.store";
      out += `(${op} offset=${off} (i32.const 0) (i32.const ${lane}))`;
    }
  });
  return out;
}

/** The outcome of an exact call: the result bytes, and where they differ from what was expected. */
export interface CheckedCall {
  /** A description of the first mismatch, or null when every result matches. */
  mismatch: string | null;
}

function nanClassOk(bits: bigint, width: number, cls: string): boolean {
  const expBits = width === 32 ? 8n : 11n;
  const frac = width === 32 ? 23n : 52n;
  const exponent = (bits >> frac) & ((1n << expBits) - 1n);
  const fraction = bits & ((1n << frac) - 1n);
  const quiet = 1n << (frac - 1n);
  if (exponent !== (1n << expBits) - 1n || fraction === 0n) return false; // not a NaN
  return cls === "nan:canonical" ? fraction === quiet : (fraction & quiet) !== 0n;
}

function readBits(bytes: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
  return v;
}

function hex(bytes: Uint8Array, at: number, size: number): string {
  return "0x" + readBits(bytes, at, size).toString(16).padStart(size * 2, "0");
}

/**
 * Calls `fn` (of type `params → results`) with the script's argument
 * constants and, when `expected` is given, compares every result exactly.
 * A trap inside `fn` propagates as `WebAssembly.RuntimeError`.
 */
export async function checkedCall(
  fn: unknown,
  params: readonly string[],
  results: readonly string[],
  args: readonly SList[],
  expected: readonly SList[] | undefined,
  text: string,
): Promise<CheckedCall> {
  const locals = results.map((t, i) => `(local $r${i} ${t})`).join(" ");
  const sets = results.map((_, i) => `local.set $r${results.length - 1 - i}`).join(" ");
  const stores = results.map((t, i) =>
    `(${storeOp(t)} offset=${16 * i} (i32.const 0) (local.get $r${i}))`
  )
    .join(" ");
  const expects = (expected ?? []).map((e, i) => storeExpected(e, text, EXPECTED_AT + 16 * i)).join(
    " ",
  );
  const wat = `(module
  (import "t" "f" (func $f (param ${params.join(" ")}) (result ${results.join(" ")})))
  (memory (export "m") 1)
  (func (export "run") ${locals}
    ${args.map((a) => text.slice(a.start, a.end)).join(" ")}
    call $f ${sets} ${stores})
  (func (export "expect") ${expects}))`;
  const instance = instantiateSync(await compile(wat, { filename: "checker.wat" }), {
    t: { f: fn },
  });
  const exports = instance.exports as Record<string, () => void>;
  exports.run();
  if (expected === undefined) return { mismatch: null };
  exports.expect();
  const bytes = new Uint8Array((instance.exports.m as WebAssembly.Memory).buffer);
  if (expected.length !== results.length) {
    return { mismatch: `expected ${expected.length} results, the function has ${results.length}` };
  }
  for (let i = 0; i < results.length; i++) {
    const p = patternOf(expected[i]);
    const size = SIZE[results[i]];
    const laneSize = size / p.lanes.length;
    for (let k = 0; k < p.lanes.length; k++) {
      const at = 16 * i + k * laneSize;
      const got = readBits(bytes, at, laneSize);
      const cls = p.lanes[k];
      const ok = cls !== null
        ? nanClassOk(got, laneSize * 8, cls)
        : got === readBits(bytes, EXPECTED_AT + at, laneSize);
      if (!ok) {
        return {
          mismatch: `result ${i}${p.lanes.length > 1 ? ` lane ${k}` : ""}: expected ${
            cls ?? hex(bytes, EXPECTED_AT + at, laneSize)
          }, got ${hex(bytes, at, laneSize)}`,
        };
      }
    }
  }
  return { mismatch: null };
}
