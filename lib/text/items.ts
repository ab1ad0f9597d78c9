/**
 * Lowering of the module-linking fields — type, import, alias, instance,
 * nested module — and of core fields written as imports or aliases, into
 * section entries and index-space items of a {@linkcode Scope}.
 *
 * @module
 */

import { type EntityKind, type InstanceArg, Kind } from "../ir.ts";
import {
  descBody,
  inlineExports,
  instanceTypeBody,
  kindOf,
  moduleTypeBody,
  parseDesc,
  signature,
} from "./desc.ts";
import type { Field } from "./fields.ts";
import type { SpaceKind } from "./kinds.ts";
import type { Lowered } from "./lowering.ts";
import type { Scope } from "./scope.ts";
import type { SAtom, SExpr, SList } from "./sexpr.ts";
import { stringValue } from "./sexpr.ts";
import type { InstanceShape, ModuleShape } from "./shapes.ts";
import { itemRef } from "./sugar.ts";
import { Cursor, headKeyword, isAtom, isList } from "./syntax.ts";

/** An export of the module, in source order; `index` is -1 until resolved. */
export interface PendingExport {
  name: string;
  kind: EntityKind;
  index: number;
  /** Offset of the export's name, for errors. */
  origin: number;
  /** For `(export …)` fields: the field, resolved after the module-linking items. */
  field?: Field;
}

function exportAll(
  scope: Scope,
  out: PendingExport[],
  names: readonly SAtom[],
  kind: EntityKind,
  index: number,
) {
  for (const n of names) {
    out.push({ name: stringValue(n, scope.file), kind, index, origin: n.start });
  }
}

/** `(type $t? (func …) | (module …) | (instance …))`. */
export function typeField(scope: Scope, f: Field): void {
  const c = new Cursor(f.list, scope.file, f.rest);
  const def = c.peek();
  const origin = f.list.start;
  if (isList(def, "func")) {
    const d = new Cursor(def, scope.file);
    const { func } = signature(d);
    d.end();
    scope.addFuncType(func, origin, f.id);
  } else if (isList(def, "module")) {
    const { imports, exports, module } = moduleTypeBody(scope, new Cursor(def, scope.file));
    scope.addType({ form: "module", module }, { form: "module", imports, exports }, origin, f.id);
  } else if (isList(def, "instance")) {
    const { exports, instance } = instanceTypeBody(scope, new Cursor(def, scope.file));
    scope.addType({ form: "instance", instance }, { form: "instance", exports }, origin, f.id);
  } else {
    throw c.expected("(func …), (module …) or (instance …)");
  }
  c.i++;
  c.end();
}

/** `(import "m" "f"? desc)`; returns the index of the imported item. */
export function importField(scope: Scope, f: Field, out: PendingExport[]): number {
  const c = new Cursor(f.list, scope.file);
  const module = c.name("an import module name");
  const field = isAtom(c.peek(), "string") ? c.name() : null;
  const desc = parseDesc(scope, c.listOf(undefined, "an import description"), true);
  c.end();
  const index = scope.addImport(
    { module, field, desc: desc.binary },
    desc.type,
    f.list.start,
    desc.id,
  );
  exportAll(scope, out, desc.exports, desc.kind, index);
  return index;
}

/** `(kind $id? (export "e")* (import "m" "f"?) desc…)`; returns the index of the imported item. */
export function inlineImportField(scope: Scope, f: Field, out: PendingExport[]): number {
  const c = new Cursor(f.list, scope.file, f.rest);
  const imp = new Cursor(c.next() as SList, scope.file);
  const module = imp.name("an import module name");
  const field = imp.atEnd() ? null : imp.name();
  imp.end();
  const kind = f.kind as EntityKind;
  const { binary, type } = descBody(scope, kind, c);
  c.end();
  const index = scope.addImport({ module, field, desc: binary }, type, f.list.start, f.id);
  exportAll(scope, out, f.exports, kind, index);
  return index;
}

/** Adds the alias `instance "name"` (export form) or `outer M x`; returns its index. */
function alias(
  scope: Scope,
  c: Cursor,
  kind: SpaceKind,
  id: SAtom | undefined,
  origin: number,
): number {
  if (isAtom(c.peek(), "keyword", "outer")) {
    const at = c.here();
    c.next();
    if (kind !== Kind.Module && kind !== Kind.Type) {
      throw scope.file.error(at, "outer aliases can only name modules and types");
    }
    const { depth, index, target } = scope.outer(kind, c.next(), c.next());
    return kind === Kind.Type
      ? scope.addTypeAlias(
        { form: "outerType", depth, index },
        target.types[index].shape,
        origin,
        id,
      )
      : scope.addAlias(
        { form: "outerModule", depth, index },
        target.spaces[Kind.Module][index].type,
        origin,
        id,
      );
  }
  if (kind === Kind.Type) {
    throw scope.file.error(c.here(), "types can only be aliased with outer");
  }
  // `$i`, or a path to a nested instance: `(instance $i "a" "b")`.
  const target = c.next();
  const instance = isList(target, "instance")
    ? itemRef(scope, target, Kind.Instance)
    : scope.ref(Kind.Instance, target);
  const nameAtom = c.string("an export name");
  const name = stringValue(nameAtom, scope.file);
  const type = scope.exportType(instance, kind, nameAtom, name);
  return scope.addAlias({ form: "instanceExport", instance, kind, name }, type, origin, id);
}

/**
 * `(alias $i "name" (kind $id?))`, `(alias (instance $i "a"…) "name" (kind $id?))`
 * and `(alias outer $M $x (kind $id?))`; returns the index of the alias.
 */
export function aliasField(scope: Scope, f: Field, out: PendingExport[]): number {
  const items = f.list.items;
  const desc = items[items.length - 1];
  if (!isList(desc)) {
    throw scope.file.error(
      desc?.start ?? f.list.start,
      "expected an alias description such as (func $f)",
    );
  }
  const d = new Cursor(desc, scope.file);
  const kind = headKeyword(desc) === "type" ? Kind.Type : kindOf(desc, d, "an alias kind");
  const id = d.optionalId();
  const names = kind === Kind.Type ? [] : inlineExports(d);
  d.end();
  // Everything but the description: `$i "name"` or `outer $M $x`.
  const body = new Cursor({ ...f.list, items: items.slice(0, -1) }, scope.file);
  const index = alias(scope, body, kind, id, f.list.start);
  body.end();
  if (kind !== Kind.Type) exportAll(scope, out, names, kind, index);
  return index;
}

/**
 * `(kind $id? (export "e")* (alias $i "name"))`, or `(module|type $id? (alias outer $M $x))`;
 * returns the index of the alias.
 */
export function inlineAliasField(scope: Scope, f: Field, out: PendingExport[]): number {
  const c = new Cursor(f.list, scope.file, f.rest);
  const a = new Cursor(c.next() as SList, scope.file);
  c.end();
  const kind = f.kind!;
  const index = alias(scope, a, kind, f.id, f.list.start);
  a.end();
  if (kind !== Kind.Type) exportAll(scope, out, f.exports, kind, index);
  return index;
}

/**
 * `(instance $id? (export "e")* (instantiate module (import "name" (kind ref))*))`,
 * or an instance made of items of this module:
 * `(instance $id? (export "e")* (export "name" (kind ref))*)`.
 */
export function instanceField(scope: Scope, f: Field, out: PendingExport[]): void {
  const c = new Cursor(f.list, scope.file, f.rest);
  if (!c.atEnd() && !c.at("instantiate") && !c.at("export")) {
    throw c.expected('(instantiate …), (export "name" (kind …)), (import …) or (alias …)');
  }
  const index = c.at("instantiate") ? instantiateField(scope, f, c) : exportsInstance(scope, f, c);
  exportAll(scope, out, f.exports, Kind.Instance, index);
}

/** The `(instantiate …)` of an instance field, read by `c`; returns the instance's index. */
function instantiateField(scope: Scope, f: Field, c: Cursor): number {
  const inst = c.next() as SList;
  c.end();
  const instantiate = new Cursor(inst, scope.file);
  const target: SExpr | undefined = instantiate.next();
  let module: number;
  if (isList(target)) {
    if (headKeyword(target) !== "module") {
      throw scope.file.error(target.start, "expected a module reference");
    }
    module = itemRef(scope, target, Kind.Module);
  } else {
    module = scope.ref(Kind.Module, target);
  }
  const args: InstanceArg[] = [];
  while (!instantiate.atEnd()) {
    const arg = new Cursor(instantiate.listOf("import", '(import "name" (kind …))'), scope.file);
    args.push(namedItem(scope, arg, "an argument"));
  }
  const type: ModuleShape = scope.moduleType(module, target?.start ?? inst.start);
  return scope.addInstance(
    { form: "instantiate", module, args },
    { exports: type.exports },
    f.list.start,
    f.id,
  );
}

/**
 * The `(export "name" (kind ref))*` of an instance made of items of this
 * module, read by `c`; returns the instance's index. Its type is what its
 * items are known to be: a local core definition, which the validator will
 * refuse here (it follows every instance), is left out of it.
 */
function exportsInstance(scope: Scope, f: Field, c: Cursor): number {
  const exports: InstanceArg[] = [];
  const type: InstanceShape = { exports: new Map() };
  while (!c.atEnd()) {
    const e = new Cursor(c.listOf("export", '(export "name" (kind …))'), scope.file);
    const item = namedItem(scope, e, "an export");
    exports.push(item);
    // Duplicate names are the validator's to report.
    const shape = item.index >= 0 ? scope.spaces[item.kind][item.index]?.type : undefined;
    if (shape !== undefined) type.exports.set(item.name, shape);
  }
  return scope.addInstance({ form: "exports", exports }, type, f.list.start, f.id);
}

/**
 * `"name" (kind ref)`, read by `c` after the head of an `instantiate`
 * argument `(import …)` or of an item `(export …)`: `what` names which.
 * The reference resolves like any item reference, a local core definition
 * to its final index.
 */
function namedItem(scope: Scope, c: Cursor, what: string): InstanceArg {
  const name = c.name(`${what} name`);
  const ref = c.listOf(undefined, "an item reference such as (func $f)");
  c.end();
  const kind = kindOf(ref, c, `${what} kind`);
  const item: InstanceArg = { name, kind, index: 0 };
  item.index = itemRef(scope, ref, kind, (index) => item.index = index);
  return item;
}

/** A nested `(module $id? (export "e")* field*)`, lowered by `lower`. */
export function moduleField(
  scope: Scope,
  f: Field,
  out: PendingExport[],
  lower: (f: Field) => Lowered,
): void {
  const { ir, type } = lower(f);
  const index = scope.addModule(ir, type, f.list.start, f.id);
  exportAll(scope, out, f.exports, Kind.Module, index);
}
