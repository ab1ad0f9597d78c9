/**
 * The bridge to wabt's disassembler, which prints the core part of each
 * module: a core binary to core text. wabt is imported the first time it is
 * needed, never when this file is loaded.
 *
 * @module
 */

import { CompileError } from "../errors.ts";
import { WABT_FEATURES } from "../text/wabt.ts";

/** The part of wabt's module object used here. */
interface WabtModule {
  toText(options: { foldExprs?: boolean; inlineExport?: boolean }): string;
  destroy(): void;
}

/** The part of the wabt library object used here. */
interface WabtLibrary {
  readWasm(
    bytes: Uint8Array,
    options: { readDebugNames?: boolean; check?: boolean } & Record<string, boolean>,
  ): WabtModule;
}

/** Prints a core module as text. */
export type Disassembler = (core: Uint8Array) => string;

/**
 * The features wabt reads with: those the text front-end assembles with,
 * and exception handling, which a module may use (its tags).
 */
const READ_FEATURES: Readonly<Record<string, boolean>> = { ...WABT_FEATURES, exceptions: true };

let loading: Promise<Disassembler> | undefined;

/**
 * Loads wabt (once) and returns a disassembler: flat instructions (never
 * folded, so that nesting stays as shallow as the text front-end needs),
 * numeric indices, exports never inlined, and no validation, so that an
 * invalid module prints too.
 *
 * @throws {CompileError} from the disassembler, when wabt cannot read the core module.
 *
 * @example
 * ```ts
 * import { loadDisassembler } from "./disassemble.ts";
 * const disassemble = await loadDisassembler();
 * disassemble(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); // "(module)\n"
 * ```
 */
export function loadDisassembler(): Promise<Disassembler> {
  const current = loading ??= (async () => {
    // A full specifier, not an import-map name: library code must load for
    // anyone importing it by URL.
    // deno-lint-ignore no-import-prefix
    const imported = await import("npm:wabt@1.0.39");
    const init = (imported.default ?? imported) as unknown as () => Promise<WabtLibrary>;
    const wabt = await init();
    return (core: Uint8Array) => disassembleWith(wabt, core);
  })();
  current.catch(() => {
    if (loading === current) loading = undefined;
  });
  return current;
}

function disassembleWith(wabt: WabtLibrary, core: Uint8Array): string {
  let module: WabtModule | undefined;
  try {
    module = wabt.readWasm(core, { readDebugNames: false, check: false, ...READ_FEATURES });
    return module.toText({ foldExprs: false, inlineExport: false });
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    throw new CompileError(
      `wabt cannot disassemble the core code: ${text.replace(/\s+/g, " ").trim()}`,
    );
  } finally {
    try {
      module?.destroy();
    } catch {
      // Nothing more can be done for a module wabt cannot free.
    }
  }
}
