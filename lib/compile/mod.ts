/**
 * The compiler: validates a decoded module-linking module and turns it into
 * a {@linkcode CompiledBlob} — one core wasm module per (nested) module,
 * type tables, initializers and upvars. Pure: it touches no V8 API.
 *
 * @module
 */

import { decode } from "../binary/decode.ts";
import type { CompiledBlob, CompiledModule } from "../compiled.ts";
import type { ModuleIR } from "../ir.ts";
import { TypeTables } from "../types.ts";
import { ModuleBuilder } from "./builder.ts";
import { SubtypeBudget } from "../subtype.ts";

/** Validates and compiles a decoded module. Throws `CompileError`. */
export function compileModuleIR(ir: ModuleIR): CompiledBlob {
  const types = new TypeTables();
  const modules: (CompiledModule | undefined)[] = [];
  const root = ModuleBuilder.compileRoot(
    { types, modules, subtypeBudget: new SubtypeBudget() },
    ir,
  );
  return { types, modules: modules as CompiledModule[], root };
}

/** Decodes, validates and compiles a module-linking binary. Throws `CompileError`. */
export function compileBinary(bytes: Uint8Array): CompiledBlob {
  return compileModuleIR(decode(bytes));
}
