/**
 * Instantiation: runs a module's initializers. Nested instances are created
 * in order, then the module's own core instance; each core import object is
 * one array of the values the initializers pushed, so functions pass between
 * instances as the V8 exported functions themselves.
 *
 * @module
 */

import type { CompiledModule } from "../compiled.ts";
import { LinkError } from "../errors.ts";
import { DEFAULT_MAX_INSTANCES, MAX_INSTANTIATION_DEPTH } from "../limits.ts";
import { type ExportValue, type Instance, isInstance, typedInstance } from "./instance.ts";
import { bindCallerImports, callersInUse } from "./caller.ts";
import { hostImport, type Imports, missingImport } from "./linker.ts";
import {
  coreModuleOf,
  instanceTypeRef,
  isModule,
  type Module,
  type ModuleParts,
  moduleParts,
  nestedModule,
} from "./module.ts";

/**
 * Options of `instantiate`.
 *
 * @example
 * ```ts
 * import { compile, instantiate, type InstantiateOptions } from "@mlink/mlink";
 * const options: InstantiateOptions = { maxInstances: 100 };
 * const instance = await instantiate(await compile(`(module)`), {}, options);
 * ```
 */
export interface InstantiateOptions {
  /**
   * Most instances one call may create, nested ones included (default
   * 10,000): a module that instantiates its child twice at each of 40 levels
   * fails fast instead of running for ever. A whole number, at least 1.
   */
  maxInstances?: number;
}

/**
 * The instance cap `options` ask for; a `LinkError` names an option whose
 * value is not valid. Other properties are ignored: callers such as
 * `runWasi` pass their own options object on.
 */
function maxInstancesOf(options: InstantiateOptions | undefined): number {
  if (options === undefined) return DEFAULT_MAX_INSTANCES;
  if (options === null || typeof options !== "object") {
    throw new LinkError(
      `the options argument must be an object, got ${options === null ? "null" : typeof options}`,
    );
  }
  const max = options.maxInstances;
  if (max === undefined) return DEFAULT_MAX_INSTANCES;
  if (typeof max !== "number" || !Number.isSafeInteger(max) || max < 1) {
    throw new LinkError(
      `option maxInstances must be a whole number of at least 1, got ${
        typeof max === "number" ? max : typeof max === "string" ? JSON.stringify(max) : typeof max
      }`,
    );
  }
  return max;
}

interface Budget {
  left: number;
  readonly max: number;
}

/**
 * Instantiates `module` with host `imports`: `{x: value}` for a
 * single-level import `"x"`, `{a: {b: value}}` for a two-level import
 * `"a" "b"`; only own properties count, never inherited ones. Throws
 * `LinkError` when an import is missing or of the wrong kind or type, or an
 * argument or option is not valid; a trap in a start function, stack
 * exhaustion included, is a `WebAssembly.RuntimeError`.
 *
 * @param module The module to instantiate.
 * @param imports Host values for its imports, by name.
 * @param options A cap on the instances it may create.
 * @returns The instance.
 *
 * @example
 * ```ts
 * import { compile, instantiateSync } from "@mlink/mlink";
 * const m = await compile(`(module (global (import "seed") i32)
 *   (func (export "seed") (result i32) global.get 0))`);
 * const { exports } = instantiateSync(m, { seed: new WebAssembly.Global({ value: "i32" }, 5) });
 * console.log((exports.seed as () => number)()); // 5
 * ```
 */
export function instantiateSync(
  module: Module,
  imports: Imports = {},
  options?: InstantiateOptions,
): Instance {
  if (!isModule(module)) {
    throw new LinkError(
      `instantiate expects a Module from compile(), got ${
        module === null ? "null" : typeof module === "object" ? "another object" : typeof module
      }`,
    );
  }
  if (imports === null || typeof imports !== "object") {
    throw new LinkError(
      `the imports argument must be an object, got ${imports === null ? "null" : typeof imports}`,
    );
  }
  const max = maxInstancesOf(options);
  const parts = moduleParts(module);
  const compiled = parts.blob.compiled;
  const site: Site = { parent: null, parts };
  // Check host values against the module type once, at the boundary; inside
  // a blob, validation has already checked every argument statically.
  const args = new Map<string, unknown>();
  const tables = compiled.types;
  const path = pathOf(site);
  for (const imp of tables.modules[compiled.modules[parts.index].type].imports) {
    // Own properties only: `{}` does not provide "constructor".
    const value = Object.hasOwn(imports, imp.name) ? imports[imp.name] : undefined;
    if (value === undefined) throw missingImport([imp.name], tables, imp.type, path);
    args.set(imp.name, hostImport(value, tables, imp.type, [imp.name], path));
  }
  return run(parts, args, { left: max, max }, site, 0);
}

/**
 * Instantiates a module with host imports; see {@linkcode instantiateSync}
 * for the shape of `imports`. Core modules are already compiled, so this
 * only links: it resolves on the same turn's microtask queue.
 *
 * @example
 * ```ts
 * import { compile, instantiate } from "@mlink/mlink";
 * const m = await compile(`(module (import "env" "log" (func (param i32))) (func (export "run") i32.const 1 call 0))`);
 * const { exports } = await instantiate(m, { env: { log: console.log } });
 * (exports.run as () => void)();
 * ```
 */
export function instantiate(
  module: Module,
  imports?: Imports,
  options?: InstantiateOptions,
): Promise<Instance> {
  try {
    return Promise.resolve(instantiateSync(module, imports, options));
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Where an instantiation happens: a chain of the modules being instantiated,
 * turned into a path of names only when an error needs one (no allocation
 * on the hot path).
 */
interface Site {
  readonly parent: Site | null;
  readonly parts: ModuleParts;
}

function pathOf(site: Site | null): string[] {
  const path: string[] = [];
  for (let s = site; s !== null; s = s.parent) {
    const name = s.parts.blob.compiled.modules[s.parts.index].name;
    if (name !== "") path.push(name);
  }
  return path.reverse();
}

/** Names a module for messages: its path, or "the top-level module". */
function describeSite(site: Site): string {
  const path = pathOf(site);
  return path.length > 0 ? path.join(" > ") : "the top-level module";
}

/**
 * The prototype of the import objects handed to V8: empty, frozen, with no
 * prototype of its own, so that no module name reaches `Object.prototype`.
 * `Object.create(null)` would do as well, but V8 keeps such objects in slow
 * dictionary mode, on the hot path of every instantiation.
 *
 * The values under `""` stay an array, the fastest for V8 to read: V8 reads
 * only the names the core module imports, which were checked when it was
 * compiled to be exactly `"0"` … `"n-1"`, and the initializers push exactly
 * `n` values, so every name read is an own element and `Array.prototype` is
 * never consulted. (A prototype-free object costs up to a fifth more per
 * core instance.)
 */
const NOTHING: object = Object.freeze(Object.create(null));

/** Arguments of an instantiate that passes none. */
const NO_ARGS: ReadonlyMap<string, unknown> = new Map();

function run(
  parts: ModuleParts,
  args: ReadonlyMap<string, unknown>,
  budget: Budget,
  site: Site,
  depth: number,
): Instance {
  if (depth > MAX_INSTANTIATION_DEPTH) {
    throw new LinkError(
      `instantiation nested more than ${MAX_INSTANTIATION_DEPTH} deep`,
      { path: pathOf(site).slice(0, 3) },
    );
  }
  if (--budget.left < 0) {
    throw new LinkError(
      `instantiation limit reached: one instantiate may create at most ${budget.max} instances (option maxInstances)`,
      { path: pathOf(site) },
    );
  }
  const { blob, index, upvars } = parts;
  const compiled = blob.compiled.modules[index];
  // Index spaces by kind (0 func … 6 instance), made when first used (most
  // modules use two or three); core values in push order.
  const spaces: unknown[][] = new Array(7);
  const coreValues: unknown[] = [];
  for (const init of compiled.initializers) {
    switch (init.op) {
      case "import":
      case "alias": {
        const value = init.op === "import"
          ? args.get(init.name)
          : instanceIn(spaces[6][init.instance], site).exports[init.name];
        if (init.kind >= 5) checkLinkingValue(value, init.kind, init.name, site);
        (spaces[init.kind] ??= []).push(value);
        if (init.kind <= 3) coreValues.push(value);
        break;
      }
      case "upvar":
        (spaces[5] ??= []).push(upvars[init.index]);
        break;
      case "module":
        (spaces[5] ??= []).push(nestedModule(blob, init.compiled, spaces[5], upvars));
        break;
      case "instantiate": {
        const target = spaces[5][init.module];
        checkLinkingValue(target, 5, `module ${init.module}`, site);
        const childParts = moduleParts(target as Module);
        let childArgs = NO_ARGS;
        if (init.args.length > 0) {
          const named = new Map<string, unknown>();
          for (const arg of init.args) named.set(arg.name, spaces[arg.kind][arg.index]);
          childArgs = named;
        }
        const childSite: Site = { parent: site, parts: childParts };
        (spaces[6] ??= []).push(run(childParts, childArgs, budget, childSite, depth + 1));
        break;
      }
    }
  }
  let coreExports: WebAssembly.Exports | undefined;
  const core = compiled.core === null
    ? null
    : blob.cores[index] ?? coreModuleOf(blob, index, pathOf(site));
  if (core !== null) {
    const caller = callersInUse() ? bindCallerImports(coreValues, () => describeSite(site)) : null;
    const importObject: Record<string, unknown> = Object.create(NOTHING);
    importObject[""] = coreValues;
    try {
      coreExports = new WebAssembly.Instance(core, importObject as WebAssembly.Imports).exports;
      caller?.attach(coreExports);
    } catch (e) {
      if (e instanceof WebAssembly.LinkError) throw coreLinkError(e, compiled, pathOf(site));
      if (isStackExhaustion(e)) throw stackTrap(e, pathOf(site));
      throw e;
    }
  }
  if (blob.coreExportsOnly[index]) {
    return typedInstance(coreExports as Record<string, ExportValue>, instanceTypeRef(blob, index));
  }
  const exports: Record<string, ExportValue> = Object.create(null);
  for (const e of compiled.exports) {
    exports[e.name] = (e.local ? coreExports![e.name] : spaces[e.kind][e.index]) as ExportValue;
  }
  return typedInstance(Object.freeze(exports), instanceTypeRef(blob, index));
}

/**
 * Whether `e` is V8's stack overflow. Thrown out of `new
 * WebAssembly.Instance`, it comes from the start functions running.
 */
function isStackExhaustion(e: unknown): boolean {
  return e instanceof RangeError && e.message.includes("Maximum call stack size exceeded");
}

/** Stack exhaustion in wasm is a trap, as the core spec has it. */
function stackTrap(e: unknown, path: readonly string[]): WebAssembly.RuntimeError {
  const where = path.length > 0 ? ` in ${path.join(" > ")}` : "";
  return new WebAssembly.RuntimeError(
    `call stack exhausted${where} while start functions ran`,
    { cause: e },
  );
}

/** Checked so that a damaged artifact cannot turn into a raw TypeError deep inside. */
function instanceIn(value: unknown, site: Site): Instance {
  checkLinkingValue(value, 6, "aliased instance", site);
  return value as Instance;
}

function checkLinkingValue(value: unknown, kind: number, what: string, site: Site): void {
  if (kind === 5 ? isModule(value) : isInstance(value)) return;
  throw new LinkError(
    `${what}: expected ${
      kind === 5 ? "a module" : "an instance"
    }, got ${typeof value} (corrupt artifact or host object)`,
    { path: pathOf(site) },
  );
}

/** Rewords V8's link error, which names our synthetic core import, to name the real import. */
function coreLinkError(
  e: Error,
  compiled: CompiledModule,
  path: readonly string[],
): LinkError {
  const match = /Import #(\d+)[^:]*:\s*(.*)$/s.exec(e.message);
  if (match === null) {
    return new LinkError(`incompatible import type: ${e.message}`, { path }, {
      cause: e,
    });
  }
  const names = coreImportNames(compiled, Number(match[1]));
  const where = names.map((n) => JSON.stringify(n)).join(" ");
  return new LinkError(
    `incompatible import type for \`${names[0]}\`: import ${where}: ${match[2]}`,
    { path },
    { cause: e },
  );
}

/** The names of the initializer that produced core import `n`. */
function coreImportNames(compiled: CompiledModule, n: number): string[] {
  const instanceNames: string[][] = [];
  let seen = 0;
  for (const init of compiled.initializers) {
    if (init.op === "instantiate") {
      instanceNames.push([`instance ${instanceNames.length}`]);
    }
    if (init.op !== "import" && init.op !== "alias") continue;
    const names = init.op === "import" ? [init.name] : [
      ...(instanceNames[init.instance] ?? [`instance ${init.instance}`]),
      init.name,
    ];
    if (init.kind === 6) instanceNames.push(names);
    if (init.kind <= 3 && seen++ === n) return names;
  }
  return [`core import ${n}`];
}
