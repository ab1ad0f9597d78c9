/**
 * The compiling entry points: a binary or text into a `Module`.
 *
 * @module
 */

import { looksLikeArtifact } from "./artifact/format.ts";
import { compileBinary } from "./compile/mod.ts";
import { CompileError } from "./errors.ts";
import { compileCoresSync, loadBlob, Module, modulePaths } from "./runtime/module.ts";

/**
 * Options of {@linkcode parseWat}.
 *
 * @example
 * ```ts
 * import { directoryOf, fileReader, parseWat, type ParseWatOptions } from "@mlink/mlink";
 * const options: ParseWatOptions = { filename: "app.wat", readFile: fileReader(directoryOf("app.wat")) };
 * const bytes = await parseWat(`(module (module $child))`, options);
 * ```
 */
export interface ParseWatOptions {
  /** File name used in errors (`input.wat` by default). */
  filename?: string;
  /** Reads the files of nested `(module $m (file "m.wasm"))` forms; see `lib/file_reader.ts`. */
  readFile?: (path: string) => Uint8Array | Promise<Uint8Array>;
}

/**
 * Parses module-linking text into the module-linking binary. The text
 * front-end (and wabt, for the core parts) is loaded the first time this
 * runs, so programs that only compile binaries never load it. Throws
 * `WatError` with `file:line:col`.
 *
 * @example
 * ```ts
 * import { parseWat } from "@mlink/mlink";
 * const bytes = await parseWat(`(module (module $child) (instance (instantiate $child)))`);
 * ```
 */
export async function parseWat(text: string, options: ParseWatOptions = {}): Promise<Uint8Array> {
  const front = await import("./text/mod.ts");
  return front.parseWat(text, options);
}

/**
 * Options of {@linkcode compile}.
 *
 * @example
 * ```ts
 * import { compile, type CompileOptions } from "@mlink/mlink";
 * const options: CompileOptions = { filename: "app.wat" }; // errors say app.wat:line:col
 * const module = await compile(`(module (func (export "f")))`, options);
 * ```
 */
export interface CompileOptions {
  /** File name used in text errors (`input.wat` by default). */
  filename?: string;
  /** Reads the files of nested `(module $m (file "m.wasm"))` forms in text; see `lib/file_reader.ts`. */
  readFile?: (path: string) => Uint8Array | Promise<Uint8Array>;
}

function toBytes(source: unknown): Uint8Array {
  if (source instanceof Uint8Array) {
    if (looksLikeArtifact(source)) {
      throw new CompileError(
        "this is an mlink artifact, not a WebAssembly binary: load it with Module.deserialize()",
      );
    }
    return source;
  }
  if (source instanceof ArrayBuffer) return toBytes(new Uint8Array(source));
  if (ArrayBuffer.isView(source)) {
    return toBytes(new Uint8Array(source.buffer, source.byteOffset, source.byteLength));
  }
  throw new CompileError(
    `compile expects a Uint8Array, an ArrayBuffer or a text string, got ${
      source === null ? "null" : typeof source
    }`,
  );
}

/**
 * Compiles a module-linking binary, or its text format, into a `Module`.
 * Every core module is validated and compiled by V8 here, so instantiating
 * compiles nothing. Throws `CompileError` (binary) or `WatError` (text).
 *
 * @example
 * ```ts
 * import { compile, instantiate } from "@mlink/mlink";
 * const module = await compile(`(module
 *   (module $child (func (export "hi") (result i32) i32.const 42))
 *   (instance $c (instantiate $child))
 *   (export "hi" (func $c "hi")))`);
 * const instance = await instantiate(module);
 * console.log((instance.exports.hi as () => number)()); // 42
 * ```
 */
export async function compile(
  source: Uint8Array | ArrayBuffer | ArrayBufferView | string,
  options: CompileOptions = {},
): Promise<Module> {
  const bytes = typeof source === "string"
    ? await parseWat(source, { filename: options.filename, readFile: options.readFile })
    : toBytes(source);
  const blob = loadBlob(compileBinary(bytes));
  // Synchronous on purpose: V8's asynchronous compile validates lazily the
  // functions nothing can call yet, so an invalid module could compile.
  compileCoresSync(blob, modulePaths(blob.compiled));
  return new Module(blob, blob.compiled.root);
}

/**
 * Synchronous {@linkcode compile} of a binary (text needs the asynchronous
 * one). Throws `CompileError`.
 *
 * @param source A module-linking (or core) WebAssembly binary.
 * @returns The module, its core modules compiled.
 *
 * @example
 * ```ts
 * import { compileSync, instantiateSync } from "@mlink/mlink";
 * // (module (func (export "f") (result i32) i32.const 42)), in binary
 * const bytes = new Uint8Array([
 *   0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0,
 *   7, 5, 1, 1, 102, 0, 0, 10, 6, 1, 4, 0, 65, 42, 11,
 * ]);
 * const { exports } = instantiateSync(compileSync(bytes));
 * console.log((exports.f as () => number)()); // 42
 * ```
 */
export function compileSync(
  source: Uint8Array | ArrayBuffer | ArrayBufferView,
): Module {
  const blob = loadBlob(compileBinary(toBytes(source)));
  compileCoresSync(blob, modulePaths(blob.compiled));
  return new Module(blob, blob.compiled.root);
}
