/**
 * The module-linking binary format: {@linkcode decode} bytes into the IR of
 * `../ir.ts`, {@linkcode encode} the IR back into bytes.
 *
 * @example
 * ```ts
 * import { decode, encode } from "./mod.ts";
 * const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
 * encode(decode(bytes)); // the same bytes
 * ```
 *
 * @module
 */

export { decode } from "./decode.ts";
export { encode } from "./encode.ts";
