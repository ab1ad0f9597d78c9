/**
 * Module-linking types as TypeScript types, for `declarations`: how each
 * value looks on the JS side of the boundary, in both directions. Exports
 * are what wasm hands out; imports are what the host must hand in, which
 * for globals and instances is looser (a plain number for an immutable
 * global, an object of values for an instance).
 *
 * @module
 */

import { formatEntityType, formatFuncType } from "../format.ts";
import { Kind, unreachable, ValType } from "../ir.ts";
import { type Module, moduleTypeOf } from "../runtime/module.ts";
import type { EntityType, FuncType, ModuleType, NamedType, TypeTables } from "../types.ts";

/** Which way values cross: out of wasm (an export) or into it (a host import). */
type Side = "export" | "import";

/**
 * Instances nested deeper than this are typed loosely. Type sizes are
 * already bounded (`MAX_TYPE_SIZE`), but a chain of instance types each
 * exporting the previous one would otherwise nest as deep as it is long,
 * which neither this writer's stack nor a reader needs.
 */
const MAX_NESTING = 32;

/** A funcref as JS sees it: any function passes TypeScript, V8 wants a wasm one or null. */
const FUNCREF = "((...args: never[]) => unknown) | null";

const NO_JS = "v128 cannot cross into JS";

/** A TypeScript type and the wasm type it stands for, for a comment. */
interface Rendered {
  readonly ts: string;
  readonly note?: string;
}

/**
 * Writes the TypeScript members of a module's exports and imports, and
 * remembers which helper types (`Global`, `MutableGlobal`, `Module`, `Tag`) the
 * text it wrote refers to, so the document declares just those.
 *
 * @example
 * ```ts
 * import { compile } from "../../mod.ts";
 * import { TypeWriter } from "./types_render.ts";
 *
 * const module = await compile(`(module (func (export "add") (param i32 i64) (result i64)
 *   local.get 1))`);
 * const lines = new TypeWriter(module).exports("  ");
 * console.log(lines[1]); // "  readonly add: (a0: number, a1: bigint) => bigint;"
 * ```
 */
export class TypeWriter {
  /** Helper types the written text refers to. */
  readonly uses: { global: boolean; mutableGlobal: boolean; module: boolean; tag: boolean } = {
    global: false,
    mutableGlobal: false,
    module: false,
    tag: false,
  };
  readonly #tables: TypeTables;
  readonly #type: ModuleType;

  /** A writer for the types of `module`. */
  constructor(module: Module) {
    const { tables, type } = moduleTypeOf(module);
    // A module value's type is always a module type; the check narrows it.
    if (type.kind !== Kind.Module) throw new TypeError("a module value without a module type");
    this.#tables = tables;
    this.#type = tables.modules[type.type];
  }

  /** The members of the `Exports` interface, indented by `indent`. */
  exports(indent: string): string[] {
    return this.#members(this.#type.exports, "export", indent, 0);
  }

  /**
   * The members of the `Imports` type, indented by `indent`: two-level
   * imports `"a" "b"` are already one instance import `"a"` in a module type.
   */
  imports(indent: string): string[] {
    return this.#members(this.#type.imports, "import", indent, 0);
  }

  /**
   * The members of an object type, one `readonly` property per entity, each
   * under a comment with its wasm type. A repeated name keeps its first
   * entity, as the runtime's lookups do.
   */
  #members(items: readonly NamedType[], side: Side, indent: string, depth: number): string[] {
    const lines: string[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      if (seen.has(item.name)) continue;
      seen.add(item.name);
      const { ts, note } = this.#entity(item.type, side, indent, depth);
      if (note !== undefined) lines.push(`${indent}/** ${commentText(note)} */`);
      lines.push(`${indent}readonly ${propertyName(item.name)}: ${ts};`);
    }
    return lines;
  }

  #entity(type: EntityType, side: Side, indent: string, depth: number): Rendered {
    const tables = this.#tables;
    switch (type.kind) {
      case Kind.Func:
        return funcType(tables.funcs[type.type], side);
      case Kind.Table:
        return { ts: "WebAssembly.Table", note: formatEntityType(tables, type) };
      case Kind.Memory:
        return { ts: "WebAssembly.Memory", note: formatEntityType(tables, type) };
      case Kind.Global:
        return this.#global(type, side);
      case Kind.Tag:
        // `WebAssembly.Tag`, in both directions; `Tag` names it while
        // TypeScript's declarations lack it.
        this.uses.tag = true;
        return { ts: "Tag", note: formatEntityType(tables, type) };
      case Kind.Module:
        this.uses.module = true;
        return { ts: "Module", note: formatEntityType(tables, type) };
      case Kind.Instance:
        return this.#instance(type.type, side, indent, depth);
      default:
        return unreachable(type, "entity kind");
    }
  }

  #global(type: EntityType & { kind: typeof Kind.Global }, side: Side): Rendered {
    const { type: value, mutable } = type.type;
    const js = valueType(value);
    const note = formatEntityType(this.#tables, type) +
      (js === null ? `: ${NO_JS}, so reading or writing its value from JS throws a TypeError` : "");
    if (side === "import") {
      // A plain number or bigint stands for an immutable global; the linker
      // accepts nothing else plain.
      const plain = !mutable && (js === "number" || js === "bigint") ? ` | ${js}` : "";
      return { ts: `WebAssembly.Global${plain}`, note };
    }
    if (mutable) this.uses.mutableGlobal = true;
    else this.uses.global = true;
    return { ts: `${mutable ? "MutableGlobal" : "Global"}<${js ?? "never"}>`, note };
  }

  #instance(index: number, side: Side, indent: string, depth: number): Rendered {
    const exports = this.#tables.instances[index].exports;
    if (depth >= MAX_NESTING) {
      const note = `an instance nested more than ${MAX_NESTING} deep: its exports are not typed`;
      return side === "import"
        ? { ts: "object", note }
        : { ts: "{ readonly exports: { readonly [name: string]: unknown } }", note };
    }
    if (side === "import") {
      // An instance import takes an object of its exports.
      if (exports.length === 0) return { ts: "object" };
      const inner = this.#members(exports, side, indent + "  ", depth + 1);
      return { ts: `{\n${inner.join("\n")}\n${indent}}` };
    }
    if (exports.length === 0) return { ts: "{ readonly exports: Record<string, never> }" };
    const inner = this.#members(exports, side, indent + "    ", depth + 1);
    return {
      ts: `{\n${indent}  readonly exports: {\n${inner.join("\n")}\n${indent}  };\n${indent}}`,
    };
  }
}

/**
 * The JS type of a wasm value, the same both ways across the boundary, or
 * `null` when it cannot cross (v128, or a type this writer does not know).
 */
function valueType(type: number): string | null {
  switch (type) {
    case ValType.I32:
    case ValType.F32:
    case ValType.F64:
      return "number";
    case ValType.I64:
      return "bigint";
    case ValType.FuncRef:
      return FUNCREF;
    case ValType.ExternRef:
      return "unknown";
    default:
      return null;
  }
}

/**
 * A function: positional parameters `a0, a1, …`; no result is `void`, one
 * its type, several a readonly tuple. A function whose type has a v128
 * cannot be called from JS (V8 throws a TypeError), so as an export it is
 * typed so that no call type-checks; as an import, only a wasm function of
 * that type (another instance's export) works, which TypeScript cannot tell
 * from a JS function.
 */
function funcType(f: FuncType, side: Side): Rendered {
  const note = formatFuncType(f.params, f.results);
  const params = f.params.map(valueType);
  const results = f.results.map(valueType);
  if (params.includes(null) || results.includes(null)) {
    return side === "export"
      ? {
        ts: "(...args: never) => never",
        note:
          `${note}: ${NO_JS}, so calling it from JS throws a TypeError; wasm can still import it`,
      }
      : {
        ts: "(...args: never[]) => unknown",
        note: `${note}: ${NO_JS}, so only a wasm function of this type works here`,
      };
  }
  const list = params.map((t, i) => `a${i}: ${t}`).join(", ");
  const result = results.length === 0
    ? "void"
    : results.length === 1
    ? results[0]!
    : `readonly [${results.join(", ")}]`;
  return { ts: `(${list}) => ${result}`, note };
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * A property name as TypeScript source: bare when it is an ASCII
 * identifier, otherwise a string literal. `__proto__` and `constructor` are
 * ordinary property names in a type, so they need nothing special.
 */
function propertyName(name: string): string {
  return IDENTIFIER.test(name) ? name : quoted(name);
}

/**
 * A string literal for any string. JSON.stringify escapes quotes, control
 * characters and lone surrogates but leaves U+2028 and U+2029 raw, which end
 * a `//` comment; escape them too, so the result is safe anywhere.
 *
 * @example
 * ```ts
 * import { quoted } from "./types_render.ts";
 * console.log(quoted('say "hi"\n')); // "say \"hi\"\n", in quotes
 * ```
 */
export function quoted(text: string): string {
  return JSON.stringify(text).replace(
    /[\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16)}`,
  );
}

/** Text safe inside a block comment: a name containing `*\/` cannot end it. */
function commentText(text: string): string {
  return text.replaceAll("*/", "*\\/");
}
