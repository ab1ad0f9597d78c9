/**
 * Import descriptions and the types written inline in them: function type
 * uses, module types and instance types. Inline types become type entries
 * placed before the item that needs them.
 *
 * @module
 */

import type { EntityKind, ExportTypeDecl, Import, ImportDesc } from "../ir.ts";
import { MAX_INLINE_TYPE_NESTING } from "../limits.ts";
import { type Scope, TYPE } from "./scope.ts";
import type { SAtom, SExpr, SList } from "./sexpr.ts";
import {
  Cursor,
  globalType,
  headOf,
  isAtom,
  isList,
  memoryType,
  tableType,
  valType,
} from "./syntax.ts";
import type { EntType, FuncSig, InstTy, ModTy } from "./types.ts";
import { sameSig } from "./types.ts";

const ENTITY_KINDS: ReadonlyMap<string, EntityKind> = new Map([
  ["func", 0],
  ["table", 1],
  ["memory", 2],
  ["global", 3],
  ["module", 5],
  ["instance", 6],
]);

/** The entity kind a keyword names (`func` → 0, …), if it names one. */
export function entityKind(word: string | undefined): EntityKind | undefined {
  return word === undefined ? undefined : ENTITY_KINDS.get(word);
}

/** A parsed import description. */
export interface Desc {
  kind: EntityKind;
  binary: ImportDesc;
  type: EntType;
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
  const head = headOf(list);
  const kind = entityKind(head);
  if (kind === undefined) {
    throw c.file.error(
      list.start,
      `expected ${what} (func, table, memory, global, module or instance)${
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
): { binary: ImportDesc; type: EntType } {
  switch (kind) {
    case 0: {
      const { index, sig } = funcTypeUse(scope, c);
      return { binary: { kind: 0, type: index }, type: { kind: 0, sig } };
    }
    case 1: {
      const t = tableType(c);
      return { binary: { kind: 1, type: t }, type: { kind: 1, table: t } };
    }
    case 2: {
      const m = memoryType(c);
      return { binary: { kind: 2, type: m }, type: { kind: 2, memory: m } };
    }
    case 3: {
      const g = globalType(c);
      return { binary: { kind: 3, type: g }, type: { kind: 3, global: g } };
    }
    case 5: {
      if (c.at("type")) {
        const use = c.next() as SList;
        const index = typeRef(scope, use);
        const shape = scope.types[index].shape;
        if (shape.form !== "module") {
          throw scope.file.error(use.start, `type ${show(use)} is not a module type`);
        }
        return { binary: { kind: 5, type: index }, type: { kind: 5, module: shape.module } };
      }
      const start = c.here();
      const { index, module } = moduleType(scope, c, start);
      return { binary: { kind: 5, type: index }, type: { kind: 5, module } };
    }
    case 6: {
      if (c.at("type")) {
        const use = c.next() as SList;
        const index = typeRef(scope, use);
        const shape = scope.types[index].shape;
        if (shape.form !== "instance") {
          throw scope.file.error(use.start, `type ${show(use)} is not an instance type`);
        }
        return { binary: { kind: 6, type: index }, type: { kind: 6, instance: shape.instance } };
      }
      const start = c.here();
      const { index, instance } = instanceType(scope, c, start);
      return { binary: { kind: 6, type: index }, type: { kind: 6, instance } };
    }
  }
}

function show(use: SList): string {
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
    index = scope.outerAlias(TYPE, m, x, use.start);
  } else {
    index = scope.ref(TYPE, c.next());
  }
  c.end();
  return index;
}

/** Reads `(param …)* (result …)*`; `present` tells whether any was written. */
export function signature(c: Cursor): { sig: FuncSig; present: boolean } {
  const params: number[] = [];
  const results: number[] = [];
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
  return { sig: { params, results }, present };
}

/** A function type use: `(type X)?` and/or an inline signature; returns the type index and signature. */
export function funcTypeUse(scope: Scope, c: Cursor): { index: number; sig: FuncSig } {
  const at = c.here();
  if (c.at("type")) {
    const use = c.next() as SList;
    const index = typeRef(scope, use);
    const shape = scope.types[index].shape;
    if (shape.form !== "func") {
      throw scope.file.error(use.start, `type ${show(use)} is not a function type`);
    }
    const inline = signature(c);
    if (inline.present && !sameSig(inline.sig, shape.sig)) {
      throw scope.file.error(use.start, "inline function type does not match the type use");
    }
    return { index, sig: shape.sig };
  }
  const { sig } = signature(c);
  return { index: scope.funcType(sig, at), sig };
}

/** Parses the declarations of a module type and adds it as a generated type. */
function moduleType(scope: Scope, c: Cursor, origin: number): { index: number; module: ModTy } {
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
): { index: number; instance: InstTy } {
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
): { imports: Import[]; exports: ExportTypeDecl[]; module: ModTy } {
  return nested(scope, c, () => moduleDecls(scope, c));
}

/** Reads `(export …)*` declarations of an instance type. */
export function instanceTypeBody(
  scope: Scope,
  c: Cursor,
): { exports: ExportTypeDecl[]; instance: InstTy } {
  return nested(scope, c, () => instanceDecls(scope, c));
}

/** The declarations of a module type, one nesting level deeper. */
function moduleDecls(
  scope: Scope,
  c: Cursor,
): { imports: Import[]; exports: ExportTypeDecl[]; module: ModTy } {
  const imports: Import[] = [];
  const exports: ExportTypeDecl[] = [];
  const module: ModTy = { imports: [], exports: new Map() };
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
): { exports: ExportTypeDecl[]; instance: InstTy } {
  const exports: ExportTypeDecl[] = [];
  const instance: InstTy = { exports: new Map() };
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
