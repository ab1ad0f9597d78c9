/**
 * A script's constants: their value types, their literals as numbers, and
 * the values that cross the JS boundary exactly, integers and references.
 * (Calls with floats and vectors go through a checker module instead, see
 * `checker.ts`: JS numbers cannot carry NaN payloads, and v128 cannot cross
 * at all.)
 *
 * @module
 */

import type { SList } from "../text/sexpr.ts";
import { atomText, firstAtomText } from "./forms.ts";

/** A host value standing for `ref.extern N`, the same object for the same N within a script. */
export class ExternRef {
  /** Makes the reference for `n`. */
  constructor(readonly n: number) {}
}

/**
 * The value type, as the text format writes it, of a constant or result
 * pattern: `i32` for `(i32.const …)`, `v128` for `(v128.const …)`,
 * `externref` for `(ref.extern …)` and `(ref.null extern)`, `funcref` for the
 * other references.
 */
export function constantType(e: SList): string {
  const head = firstAtomText(e) ?? "";
  if (head.startsWith("ref.")) {
    return head === "ref.extern" || (head === "ref.null" && atomText(e.items[1]) === "extern")
      ? "externref"
      : "funcref";
  }
  return head.split(".")[0];
}

/** An integer literal as a BigInt (underscores, hex and signs allowed). */
export function parseInteger(text: string): bigint {
  const negative = text.startsWith("-");
  const body = text.replace(/^[+-]/, "").replaceAll("_", "");
  const value = BigInt(body);
  return negative ? -value : value;
}

/**
 * A float literal's value as a JS number (decimal, hex with a binary
 * exponent, `inf`, `nan`, underscores allowed). Close enough to tell a
 * literal out of range, and exact for the ones JS reads exactly; NaN for
 * anything else.
 */
export function literalNumber(text: string): number {
  // Most literals are plain decimals, which JS reads as they are.
  if (/^[+-]?\d[\d.eE+-]*$/.test(text)) return Number(text);
  const body = text.replace(/^[+-]/, "").replaceAll("_", "");
  const sign = text.startsWith("-") ? -1 : 1;
  if (body === "inf") return sign * Infinity;
  if (/^nan(?::0x[0-9a-fA-F]+)?$/.test(body)) return NaN;
  const hex = /^0x([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/.exec(body);
  if (hex !== null) {
    const [, whole, fraction = "", exponent = "0"] = hex;
    const mantissa = parseInt(whole, 16) +
      (fraction ? parseInt(fraction, 16) / 16 ** fraction.length : 0);
    return sign * mantissa * 2 ** Number(exponent);
  }
  return /^\d+(?:\.\d*)?(?:[eE][+-]?\d+)?$/.test(body) ? sign * Number(body) : NaN;
}

/** Turns an integer or reference constant into the JS value a call takes. */
export function jsValue(e: SList, externs: Map<number, ExternRef>): unknown {
  const head = firstAtomText(e);
  const arg = atomText(e.items[1]);
  switch (head) {
    case "i32.const":
      return Number(BigInt.asIntN(32, parseInteger(arg)));
    case "i64.const":
      return BigInt.asIntN(64, parseInteger(arg));
    case "ref.null":
      return null;
    case "ref.extern": {
      const n = Number(arg);
      let ref = externs.get(n);
      if (ref === undefined) externs.set(n, ref = new ExternRef(n));
      return ref;
    }
    default:
      throw new Error(`cannot pass ${head} from JS`);
  }
}

/**
 * Whether a JS result matches an expected integer or reference pattern:
 * `(ref.func)` matches any function, `(ref.extern)` any non-null reference.
 */
export function matchJs(got: unknown, expected: SList, externs: Map<number, ExternRef>): boolean {
  const head = firstAtomText(expected);
  if (head === "ref.func") return typeof got === "function";
  if (head === "ref.extern" && expected.items.length === 1) return got !== null;
  const want = jsValue(expected, externs);
  return Object.is(got, want);
}

/** A value for messages. */
export function show(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof ExternRef) return `ref.extern ${value.n}`;
  if (value === null) return "ref.null";
  if (typeof value === "function") return "ref.func";
  return String(value);
}
