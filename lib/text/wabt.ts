/**
 * The bridge to wabt, which assembles the core part of each module: core
 * text to a core binary ("compile" is the word of mlink's API). wabt is
 * imported the first time it is needed, never when this file is loaded.
 *
 * @module
 */

import {
  DATA_INDEX_PROBE,
  type DataIndexForm,
  dataIndexForm,
  repairDataMemories,
} from "./data_memory.ts";

/** The part of wabt's module object mlink uses. */
export interface WabtModule {
  resolveNames(): void;
  toBinary(options: { canonicalize_lebs?: boolean; write_debug_names?: boolean }): {
    buffer: Uint8Array;
  };
  toText(options: { foldExprs?: boolean; inlineExport?: boolean }): string;
  destroy(): void;
}

/** The part of the wabt library object mlink uses: its assembler and its disassembler. */
export interface WabtLibrary {
  parseWat(
    filename: string,
    text: string | Uint8Array,
    features?: Record<string, boolean>,
  ): WabtModule;
  readWasm(
    bytes: Uint8Array,
    options: { readDebugNames?: boolean; check?: boolean } & Record<string, boolean>,
  ): WabtModule;
}

/** Where wabt reported a problem, in the text it was given (line and byte column, 1-based). */
export interface CoreTextError {
  line: number;
  /** 1-based column in UTF-8 bytes. */
  byteColumn: number;
  message: string;
}

/** Assembles core module text to a binary, or says where it failed. */
export type CoreAssembler = (text: string) => Uint8Array | CoreTextError;

/** The core features wabt is asked to accept: those V8 supports. */
export const WABT_FEATURES: Readonly<Record<string, boolean>> = {
  multi_value: true,
  simd: true,
  reference_types: true,
  bulk_memory: true,
  tail_call: true,
  multi_memory: true,
  extended_const: true,
  memory64: true,
  sat_float_to_int: true,
  sign_extension: true,
  mutable_globals: true,
  // Shared memories and atomics: V8 has them.
  threads: true,
  // Tags, try/catch/throw/rethrow/delegate, and try_table/throw_ref/exnref.
  exceptions: true,
};

/** The file name wabt is given; its messages are matched against it. */
const CORE_FILE = "core.wat";
const LOCATED = /^core\.wat:(\d+):(\d+): error: (.*)$/m;

let library: Promise<WabtLibrary> | undefined;

/**
 * wabt's library, imported and instantiated once for the assembler and the
 * disassembler alike; after a crash, {@linkcode dropWabt} makes the next
 * call load a fresh instance.
 *
 * @example
 * ```ts
 * import { loadWabt } from "./wabt.ts";
 * const wabt = await loadWabt();
 * typeof wabt.parseWat; // "function"
 * ```
 */
export function loadWabt(): Promise<WabtLibrary> {
  const current = library ??= (async () => {
    // A full specifier, not an import-map name: library code must load for
    // anyone importing it by URL.
    // deno-lint-ignore no-import-prefix
    const imported = await import("npm:wabt@1.0.39");
    const init = (imported.default ?? imported) as unknown as () => Promise<WabtLibrary>;
    return await init();
  })();
  current.catch(() => dropWabt(current));
  return current;
}

/** Forgets `broken` (a load that failed, or an instance whose memory may be corrupt). */
export function dropWabt(broken: Promise<WabtLibrary>): void {
  if (library === broken) library = undefined;
}

/**
 * Loads wabt (once) and returns an assembler for core module text: parse and
 * name resolution only; validation is left to the engine.
 *
 * @example
 * ```ts
 * import { loadCoreAssembler } from "./wabt.ts";
 * const assemble = await loadCoreAssembler();
 * assemble("(module (func))"); // Uint8Array, or { line, byteColumn, message }
 * ```
 */
export async function loadCoreAssembler(): Promise<CoreAssembler> {
  const loaded = loadWabt();
  const wabt = await loaded;
  const encoder = new TextEncoder();
  let crashed: string | undefined;
  return (text: string) => {
    if (crashed !== undefined) return { line: 1, byteColumn: 1, message: crashed };
    const result = assembleWith(wabt, encoder.encode(text));
    if ("crash" in result) {
      // wabt's memory may be corrupt now (its stack overflowed, say):
      // the next load gets a fresh instance.
      crashed = `wabt failed: ${result.crash} (is the code nested too deeply?)`;
      dropWabt(loaded);
      return { line: 1, byteColumn: 1, message: crashed };
    }
    return result;
  };
}

/** How each loaded wabt writes a data segment's memory index, learnt the first time it matters. */
const dataIndexForms = new WeakMap<WabtLibrary, DataIndexForm>();

/** How `wabt` writes a data segment's memory index (`data_memory.ts`), from its binary of a probe. */
function dataIndexFormOf(wabt: WabtLibrary): DataIndexForm {
  let form = dataIndexForms.get(wabt);
  if (form === undefined) {
    const probe = assembleWith(wabt, new TextEncoder().encode(DATA_INDEX_PROBE), false);
    // A crash stays a crash: the instance is dropped.
    if (!(probe instanceof Uint8Array) && "crash" in probe) {
      throw new WebAssembly.RuntimeError(probe.crash);
    }
    if (!(probe instanceof Uint8Array)) {
      throw new Error(
        `internal error: wabt cannot assemble its data probe: ${probe.message}`,
      );
    }
    form = dataIndexForm(probe);
    dataIndexForms.set(wabt, form);
  }
  return form;
}

/**
 * Assembles `bytes` (core text as UTF-8) with `wabt`; a crash is told apart
 * from an error in the text. With `repair`, the memory indices wabt leaves
 * out of data segments are put back (`data_memory.ts`).
 */
function assembleWith(
  wabt: WabtLibrary,
  bytes: Uint8Array,
  repair = true,
): Uint8Array | CoreTextError | { crash: string } {
  let module: WabtModule | undefined;
  try {
    // Bytes, not a string: wabt's string path drops non-ASCII characters.
    const parsed = module = wabt.parseWat(CORE_FILE, bytes, WABT_FEATURES);
    parsed.resolveNames();
    const binary = parsed.toBinary({ canonicalize_lebs: true, write_debug_names: false }).buffer;
    if (!repair) return binary;
    return repairDataMemories(
      binary,
      () => dataIndexFormOf(wabt),
      () => parsed.toText({ foldExprs: false, inlineExport: false }),
    );
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    const m = LOCATED.exec(text);
    if (m !== null) return { line: Number(m[1]), byteColumn: Number(m[2]), message: m[3].trim() };
    if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) return { crash: text };
    return { line: 1, byteColumn: 1, message: text.replace(/\s+/g, " ").trim() };
  } finally {
    try {
      module?.destroy();
    } catch {
      // Nothing more can be done for a module wabt cannot free.
    }
  }
}
