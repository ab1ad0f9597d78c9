/**
 * Prints types the way the text format writes them, for error messages and
 * `inspect`. Long types are cut short so a message stays readable, and only
 * what is shown is formatted: types nested deeper than three levels print as
 * `(instance …)`, so formatting never recurses far, whatever the type.
 *
 * @module
 */

import { Kind, kindName, type Limits, unreachable, type ValType, VALTYPE_NAMES } from "./ir.ts";
import type { EntityType, NamedType, TypeTables } from "./types.ts";

const MAX_LENGTH = 240;
/** Module and instance types nested deeper than this print as `(module …)` and `(instance …)`. */
const MAX_SHOWN_DEPTH = 3;
/** Value types printed of a longer list: more could not be shown within `MAX_LENGTH`. */
const MAX_LIST = 60;

/** The text-format name of a value type, e.g. `i32`. */
export function formatValType(type: ValType): string {
  return VALTYPE_NAMES.get(type) ?? `0x${type.toString(16)}`;
}

export { kindName };

function formatLimits(limits: Limits): string {
  return limits.max === undefined ? `${limits.min}` : `${limits.min} ${limits.max}`;
}

function list(word: string, types: readonly ValType[]): string {
  if (types.length === 0) return "";
  // Only what can be shown is formatted, however long the list.
  const cut = types.length > MAX_LIST;
  const shown = (cut ? types.slice(0, MAX_LIST) : types).map(formatValType);
  if (cut) shown.push("…");
  return ` (${word} ${shown.join(" ")})`;
}

/** A name as a quoted string, long ones cut: the whole would be cut from the message anyway. */
function quoted(name: string): string {
  return name.length > MAX_LENGTH
    ? `${JSON.stringify(name.slice(0, MAX_LENGTH))}…`
    : JSON.stringify(name);
}

/** A function type as text: `(func (param i32) (result i32))`. */
export function formatFuncType(
  params: readonly ValType[],
  results: readonly ValType[],
): string {
  return `(func${list("param", params)}${list("result", results)})`;
}

function formatNamed(
  tables: TypeTables,
  word: string,
  items: readonly NamedType[],
  depth: number,
): string {
  let out = "";
  for (const item of items) {
    out += ` (${word} ${quoted(item.name)} ${entity(tables, item.type, depth + 1)})`;
    if (out.length > MAX_LENGTH) return out.slice(0, MAX_LENGTH) + " …";
  }
  return out;
}

function entity(tables: TypeTables, type: EntityType, depth: number): string {
  switch (type.kind) {
    case Kind.Func: {
      const func = tables.funcs[type.type];
      return formatFuncType(func.params, func.results);
    }
    case Kind.Table:
      return `(table ${formatLimits(type.type.limits)} ${formatValType(type.type.elem)})`;
    case Kind.Memory: {
      const memory = type.type;
      return `(memory${memory.memory64 ? " i64" : ""} ${formatLimits(memory.limits)}${
        memory.shared ? " shared" : ""
      })`;
    }
    case Kind.Global: {
      const valType = formatValType(type.type.type);
      return `(global ${type.type.mutable ? `(mut ${valType})` : valType})`;
    }
    case Kind.Tag:
      // A tag's func type has no results.
      return `(tag${list("param", tables.funcs[type.type].params)})`;
    case Kind.Module: {
      if (depth > MAX_SHOWN_DEPTH) return "(module …)";
      const module = tables.modules[type.type];
      return `(module${formatNamed(tables, "import", module.imports, depth)}${
        formatNamed(tables, "export", module.exports, depth)
      })`;
    }
    case Kind.Instance: {
      if (depth > MAX_SHOWN_DEPTH) return "(instance …)";
      const instance = tables.instances[type.type];
      return `(instance${formatNamed(tables, "export", instance.exports, depth)})`;
    }
    default:
      return unreachable(type, "entity type");
  }
}

/** An entity type as text, e.g. `(global (mut i32))` or `(instance (export "f" (func)))`. */
export function formatEntityType(tables: TypeTables, type: EntityType): string {
  const text = entity(tables, type, 0);
  return text.length > MAX_LENGTH ? text.slice(0, MAX_LENGTH) + " …" : text;
}
