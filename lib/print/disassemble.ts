/**
 * The bridge to wabt's disassembler, which prints the core part of each
 * module: a core binary to core text. wabt is imported the first time it is
 * needed, never when this file is loaded.
 *
 * @module
 */

import { CompileError } from "../errors.ts";
import { loadWabt, WABT_FEATURES, type WabtLibrary, type WabtModule } from "../text/wabt.ts";

/** Prints a core module as text. */
export type Disassembler = (core: Uint8Array) => string;

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
export async function loadDisassembler(): Promise<Disassembler> {
  const wabt = await loadWabt();
  return (core: Uint8Array) => disassembleWith(wabt, core);
}

function disassembleWith(wabt: WabtLibrary, core: Uint8Array): string {
  let module: WabtModule | undefined;
  try {
    module = wabt.readWasm(core, { readDebugNames: false, check: false, ...WABT_FEATURES });
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
