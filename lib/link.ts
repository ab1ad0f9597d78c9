/**
 * `link`: one module-linking module from a main module and the modules it
 * imports, in the tradition of wasmlink. Each linked module is nested as it
 * is and instantiated once, in dependency order; an import whose module name
 * is a linked module's name is satisfied by that instance; every other
 * import becomes an import of the output, one per name; the output exports
 * what the main module's instance exports.
 *
 * ```wat
 * (module
 *   (import "env" "log" (func (param i32)))        ;; what no input provides
 *   (module $greeter …) (module $main …)           ;; the inputs, as they are
 *   (instance $g (instantiate $greeter (import "env" (instance 0))))
 *   (instance $m (instantiate $main (import "greeter" (instance $g)) (import "env" (instance 0))))
 *   (export "run" (func $m "run")))
 * ```
 *
 * @module
 */

import { encode } from "./binary/encode.ts";
import { LinkToolError } from "./link/error.ts";
import { emitLinked } from "./link/emit.ts";
import { planLink } from "./link/plan.ts";
import { type LinkUnit, loadUnit } from "./link/unit.ts";

export { LinkToolError, type LinkToolErrorCode } from "./link/error.ts";

/**
 * A binary to link: core wasm or module linking.
 *
 * @example
 * ```ts
 * import type { LinkInput } from "@mlink/mlink";
 * const greeter: LinkInput = { name: "greeter", bytes: await Deno.readFile("greeter.wasm") };
 * ```
 */
export interface LinkInput {
  /**
   * For a linked module, the module name its importers use (`"greeter"` for
   * `(import "greeter" "greet" …)`); for the main module, only a name for
   * messages, such as its file name.
   */
  name: string;
  /** The binary. */
  bytes: Uint8Array;
}

/**
 * Options of {@linkcode link}.
 *
 * @example
 * ```ts
 * import type { LinkOptions } from "@mlink/mlink";
 * const options: LinkOptions = { name: "app" }; // errors then say `module $app`
 * ```
 */
export interface LinkOptions {
  /** A name for the output module itself, written to its `name` section (none by default). */
  name?: string;
}

/**
 * A `NAME=FILE` argument, split.
 *
 * @example
 * ```ts
 * import { type ModuleSpec, parseModuleSpec } from "@mlink/mlink";
 * const spec: ModuleSpec = parseModuleSpec("greeter=lib/greeter.wasm");
 * console.log(spec.name, spec.path); // greeter lib/greeter.wasm
 * ```
 */
export interface ModuleSpec {
  /** The module name importers use. */
  name: string;
  /** Where its binary is. */
  path: string;
}

/**
 * Links `main` with `modules` into one module-linking binary, which
 * `compileSync` accepts. Synchronous and pure: nothing is compiled by V8 here,
 * so an input whose core part is invalid fails when the output is compiled,
 * with the path of the nested module (`module $greeter: …`).
 *
 * A linked module that exports `_initialize` (a reactor) is initialized by
 * the output right after its instance is created, before anything that
 * imports it is instantiated. The main module is instantiated last and not
 * initialized: whoever runs the output does that.
 *
 * @param main The module whose exports the output exports.
 * @param modules The modules to nest, each under the name its importers use.
 * @param options A name for the output.
 * @returns The module-linking binary.
 * @throws {LinkToolError} when the inputs cannot be linked (a missing export, a type
 * mismatch, conflicting imports, a cycle, a bad or duplicate name).
 * @throws {CompileError} when an input is not a valid binary; its path starts with the input.
 *
 * @example
 * ```ts
 * import { compileSync, instantiate, parseWat } from "../mod.ts";
 * import { link } from "./link.ts";
 * const lib = await parseWat(`(module (func (export "add") (param i32 i32) (result i32)
 *   local.get 0 local.get 1 i32.add))`);
 * const main = await parseWat(`(module (import "lib" "add" (func $add (param i32 i32) (result i32)))
 *   (func (export "run") (result i32) i32.const 2 i32.const 3 call $add))`);
 * const out = link({ name: "main.wasm", bytes: main }, [{ name: "lib", bytes: lib }]);
 * const { exports } = await instantiate(compileSync(out));
 * console.log((exports.run as () => number)()); // 5
 * ```
 */
export function link(
  main: LinkInput,
  modules: readonly LinkInput[],
  options: LinkOptions = {},
): Uint8Array {
  checkInput(main, "the main module");
  const seen = new Set<string>();
  for (const [i, m] of modules.entries()) {
    checkInput(m, `linked module ${i}`);
    checkName(m.name, `linked module ${i}`);
    if (seen.has(m.name)) {
      throw new LinkToolError(
        `two linked modules are named ${JSON.stringify(m.name)}: each name can be linked once`,
        { code: "duplicate" },
      );
    }
    seen.add(m.name);
  }
  if (options.name !== undefined) checkName(options.name, "the output");
  const mainUnit = loadUnit(main.bytes, main.name === "" ? "the main module" : main.name, null);
  const units: LinkUnit[] = modules.map((m) => loadUnit(m.bytes, `module ${m.name}`, m.name));
  const plan = planLink(mainUnit, units);
  return encode(emitLinked(mainUnit, units, plan, options.name));
}

/**
 * Splits a `NAME=FILE` command-line argument at its first `=`.
 *
 * @param spec The argument, e.g. `greeter=build/greeter.wasm`.
 * @returns The module name and the path.
 * @throws {LinkToolError} (code `"spec"`) without `=`, or with an empty or invalid name or
 * an empty path.
 *
 * @example
 * ```ts
 * import { parseModuleSpec } from "./link.ts";
 * parseModuleSpec("greeter=build/greeter.wasm"); // { name: "greeter", path: "build/greeter.wasm" }
 * ```
 */
export function parseModuleSpec(spec: string): ModuleSpec {
  const at = spec.indexOf("=");
  if (at < 0) {
    throw new LinkToolError(
      `expected NAME=FILE (the module name its importers use, then its file), got ${
        JSON.stringify(spec)
      }`,
      { code: "spec" },
    );
  }
  const name = spec.slice(0, at);
  const path = spec.slice(at + 1);
  if (name === "") {
    throw new LinkToolError(`missing module name before "=" in ${JSON.stringify(spec)}`, {
      code: "spec",
    });
  }
  if (!name.isWellFormed()) {
    throw new LinkToolError(`module name in ${JSON.stringify(spec)} is not valid Unicode`, {
      code: "spec",
    });
  }
  if (path === "") {
    throw new LinkToolError(`missing file after "=" in ${JSON.stringify(spec)}`, { code: "spec" });
  }
  return { name, path };
}

function checkInput(input: LinkInput, what: string): void {
  if (
    input === null || typeof input !== "object" || typeof input.name !== "string" ||
    !(input.bytes instanceof Uint8Array)
  ) {
    throw new LinkToolError(`${what} must be { name: string, bytes: Uint8Array }`, {
      code: "input",
    });
  }
}

/** A module name must be nonempty and encodable as UTF-8 (no lone surrogates). */
function checkName(name: string, what: string): void {
  if (name === "") throw new LinkToolError(`${what} has an empty name`, { code: "name" });
  if (!name.isWellFormed()) {
    throw new LinkToolError(
      `${what} has a name that is not valid Unicode (a lone surrogate): ${JSON.stringify(name)}`,
      { code: "name" },
    );
  }
}
