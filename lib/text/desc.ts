/**
 * Import descriptions and the types written inline in them: function type
 * uses, module types and instance types. Inline types become type entries
 * placed before the item that needs them.
 *
 * @module
 */

import {
  type EntityKind,
  type ExportTypeDecl,
  type Import,
  type ImportDesc,
  Kind,
  unreachable,
  type ValType,
} from "../ir.ts";
import { MAX_INLINE_TYPE_NESTING } from "../limits.ts";
import type { FuncType } from "../types.ts";
import { entityKind } from "./kinds.ts";
import type { Scope } from "./scope.ts";
import type { SAtom, SExpr, SList } from "./sexpr.ts";
import {
  type EntityShape,
  type InstanceShape,
  type ModuleShape,
  sameFuncType,
  type TypeShape,
} from "./shapes.ts";
import {
  Cursor,
  globalType,
  headKeyword,
  isAtom,
  isList,
  memoryType,
  tableType,
  valType,
} from "./syntax.ts";

/** A parsed import description. */
export interface Desc {
  kind: EntityKind;
  binary: ImportDesc;
  type: EntityShape;
  id?: SAtom;
  /** Inline `(export "name")` abbreviations, when allowed. */
  exports: SAtom[];
}

/** Whether `e` is an inline export abbreviation `(export "name")`. */
export function isInlineExport(e: SExpr | undefined): e is SList {
  return isList(e, "export") && e.items.length === 2 && isAtom(e.items[1], "string");
}

/** Consumes inline `(export "name")` abbreviations; returns their name atoms. */
export function inlineExports(c: Cursor): SAtom[] {
  const names: SAtom[] = [];
  for (let e = c.peek(); isInlineExport(e); e = c.peek()) {
    names.push(e.items[1] as SAtom);
    c.i++;
  }
  return names;
}

/** The entity kind named by `list`'s head keyword. */
export function kindOf(list: SList, c: Cursor, what: string): EntityKind {
  const head = headKeyword(list);
  const kind = entityKind(head);
  if (kind === undefined) {
    throw c.file.error(
      list.start,
      `expected ${what} (func, table, memory, global, tag, module or instance)${
        head ? `, found ${head}` : ""
      }`,
    );
  }
  return kind;
}

/** Parses `(kind $id? (export "x")* body)`. */
export function parseDesc(scope: Scope, list: SList, allowExports: boolean): Desc {
  const c = new Cursor(list, scope.file);
  const kind = kindOf(list, c, "an import description");
  const id = c.optionalId();
  const exports = allowExports ? inlineExports(c) : [];
  const { binary, type } = descBody(scope, kind, c);
  c.end();
  return { kind, binary, type, id, exports };
}

/** Parses what follows the kind (and identifier) of a description of `kind`. */
export function descBody(
  scope: Scope,
  kind: EntityKind,
  c: Cursor,
): { binary: ImportDesc; type: EntityShape } {
  switch (kind) {
    case Kind.Func: {
      const { index, func } = funcTypeUse(scope, c);
      return { binary: { kind, type: index }, type: { kind, func } };
    }
    case Kind.Table: {
      const table = tableType(c);
      return { binary: { kind, type: table }, type: { kind, table } };
    }
    case Kind.Memory: {
      const memory = memoryType(c);
      return { binary: { kind, type: memory }, type: { kind, memory } };
    }
    case Kind.Global: {
      const global = globalType(c);
      return { binary: { kind, type: global }, type: { kind, global } };
    }
    case Kind.Tag: {
      // A tag's type has no results; the validator says so when one has.
      const { index, func } = funcTypeUse(scope, c);
      return { binary: { kind, type: index }, type: { kind, tag: func } };
    }
    case Kind.Module: {
      const { index, module } = c.at("type")
        ? typeUseOf(scope, c.next() as SList, "module", "a module type")
        : moduleType(scope, c, c.here());
      return { binary: { kind, type: index }, type: { kind, module } };
    }
    case Kind.Instance: {
      const { index, instance } = c.at("type")
        ? typeUseOf(scope, c.next() as SList, "instance", "an instance type")
        : instanceType(scope, c, c.here());
      return { binary: { kind, type: index }, type: { kind, instance } };
    }
    default:
      return unreachable(kind, "entity kind");
  }
}

/**
 * Resolves the type use `use` to a type index of `form`, with the type's
 * shape.
 *
 * @throws {WatError} when the type is not of `form` (`what` names it).
 */
function typeUseOf<F extends TypeShape["form"]>(
  scope: Scope,
  use: SList,
  form: F,
  what: string,
): { index: number } & Extract<TypeShape, { form: F }> {
  const index = typeRef(scope, use);
  const shape = scope.types[index].shape;
  if (shape.form !== form) {
    throw scope.file.error(use.start, `type ${typeUseText(use)} is not ${what}`);
  }
  return { index, ...(shape as Extract<TypeShape, { form: F }>) };
}

/** What a type use names, for messages: `$t`, `3` or `outer $M $t`. */
function typeUseText(use: SList): string {
  return use.items.slice(1).map((e) => e.type === "atom" ? e.text : "(…)").join(" ");
}

/** Resolves `(type $t)`, `(type 3)` or `(type outer $M $t)` to a type index. */
export function typeRef(scope: Scope, use: SList): number {
  const c = new Cursor(use, scope.file);
  let index: number;
  if (isAtom(c.peek(), "keyword", "outer")) {
    c.next();
    const m = c.next();
    const x = c.next();
    index = scope.outerAlias(Kind.Type, m, x, use.start);
  } else {
    index = scope.ref(Kind.Type, c.next());
  }
  c.end();
  return index;
}

/** Reads `(param …)* (result …)*`; `present` tells whether any was written. */
export function signature(c: Cursor): { func: FuncType; present: boolean } {
  const params: ValType[] = [];
  const results: ValType[] = [];
  let present = false;
  while (c.at("param")) {
    present = true;
    const p = new Cursor(c.next() as SList, c.file);
    if (p.optionalId() !== undefined) {
      params.push(valType(p));
      p.end();
    } else {
      while (!p.atEnd()) params.push(valType(p));
    }
  }
  while (c.at("result")) {
    present = true;
    const r = new Cursor(c.next() as SList, c.file);
    while (!r.atEnd()) results.push(valType(r));
  }
  return { func: { params, results }, present };
}

/** A function type use: `(type X)?` and/or an inline signature; returns the type index and function type. */
export function funcTypeUse(scope: Scope, c: Cursor): { index: number; func: FuncType } {
  const at = c.here();
  if (c.at("type")) {
    const use = c.next() as SList;
    const { index, func } = typeUseOf(scope, use, "func", "a function type");
    const inline = signature(c);
    if (inline.present && !sameFuncType(inline.func, func)) {
      throw scope.file.error(use.start, "inline function type does not match the type use");
    }
    return { index, func };
  }
  const { func } = signature(c);
  return { index: scope.funcType(func, at), func };
}

/** Parses the declarations of a module type and adds it as a generated type. */
function moduleType(
  scope: Scope,
  c: Cursor,
  origin: number,
): { index: number; module: ModuleShape } {
  const { imports, exports, module } = moduleTypeBody(scope, c);
  const index = scope.addType(
    { form: "module", module },
    { form: "module", imports, exports },
    origin,
  );
  return { index, module };
}

/** Parses the declarations of an instance type and adds it as a generated type. */
function instanceType(
  scope: Scope,
  c: Cursor,
  origin: number,
): { index: number; instance: InstanceShape } {
  const { exports, instance } = instanceTypeBody(scope, c);
  const index = scope.addType(
    { form: "instance", instance },
    { form: "instance", exports },
    origin,
  );
  return { index, instance };
}

function nested<T>(scope: Scope, c: Cursor, read: () => T): T {
  if (scope.typeDepth >= MAX_INLINE_TYPE_NESTING) {
    throw scope.file.error(c.list.start, `types nested more than ${MAX_INLINE_TYPE_NESTING} deep`);
  }
  scope.typeDepth++;
  try {
    return read();
  } finally {
    scope.typeDepth--;
  }
}

/** Reads `(import …)* (export …)*` declarations (in any order) of a module type. */
export function moduleTypeBody(
  scope: Scope,
  c: Cursor,
): { imports: Import[]; exports: ExportTypeDecl[]; module: ModuleShape } {
  return nested(scope, c, () => moduleDecls(scope, c));
}

/** Reads `(export …)*` declarations of an instance type. */
export function instanceTypeBody(
  scope: Scope,
  c: Cursor,
): { exports: ExportTypeDecl[]; instance: InstanceShape } {
  return nested(scope, c, () => instanceDecls(scope, c));
}

/** The declarations of a module type, one nesting level deeper. */
function moduleDecls(
  scope: Scope,
  c: Cursor,
): { imports: Import[]; exports: ExportTypeDecl[]; module: ModuleShape } {
  const imports: Import[] = [];
  const exports: ExportTypeDecl[] = [];
  const module: ModuleShape = { imports: [], exports: new Map() };
  while (!c.atEnd()) {
    if (c.at("import")) {
      const d = new Cursor(c.next() as SList, scope.file);
      const name = d.name("an import name");
      const field = isAtom(d.peek(), "string") ? d.name() : null;
      const desc = parseDesc(scope, d.listOf(undefined, "an import description"), false);
      d.end();
      imports.push({ module: name, field, desc: desc.binary });
      module.imports.push({ module: name, field, type: desc.type });
    } else if (c.at("export")) {
      const { name, desc } = exportDecl(scope, c.next() as SList);
      exports.push({ name, desc: desc.binary });
      module.exports.set(name, desc.type);
    } else {
      throw c.expected("(import …) or (export …) in a module type");
    }
  }
  return { imports, exports, module };
}

/** The declarations of an instance type, one nesting level deeper. */
function instanceDecls(
  scope: Scope,
  c: Cursor,
): { exports: ExportTypeDecl[]; instance: InstanceShape } {
  const exports: ExportTypeDecl[] = [];
  const instance: InstanceShape = { exports: new Map() };
  while (!c.atEnd()) {
    if (!c.at("export")) throw c.expected("(export …) in an instance type");
    const { name, desc } = exportDecl(scope, c.next() as SList);
    exports.push({ name, desc: desc.binary });
    instance.exports.set(name, desc.type);
  }
  return { exports, instance };
}

function exportDecl(scope: Scope, list: SList): { name: string; desc: Desc } {
  const d = new Cursor(list, scope.file);
  const name = d.name("an export name");
  const desc = parseDesc(scope, d.listOf(undefined, "an export description"), false);
  d.end();
  return { name, desc };
}
