/**
 * Small builders for module-linking IR in tests, so a test reads like the
 * module it builds. Binaries come from the real encoder.
 */

import { encode } from "../../lib/binary/encode.ts";
import type {
  Alias,
  EntityKind,
  Export,
  ExportTypeDecl,
  GlobalDef,
  Import,
  ImportDesc,
  InstanceArg,
  InstanceDef,
  ModuleIR,
  Section,
  TypeDef,
} from "../../lib/ir.ts";

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F32 = 0x7d;

/** A module from sections. */
export function mod(...sections: Section[]): ModuleIR {
  return { sections };
}

/** Encodes a module. */
export function bin(...sections: Section[]): Uint8Array {
  return encode(mod(...sections));
}

export function types(...defs: TypeDef[]): Section {
  return { id: 1, types: defs };
}

export function func(params: number[] = [], results: number[] = []): TypeDef {
  return { form: "func", params, results };
}

export function moduleType(
  imports: Import[],
  exports: ExportTypeDecl[],
): TypeDef {
  return { form: "module", imports, exports };
}

export function instanceType(exports: ExportTypeDecl[]): TypeDef {
  return { form: "instance", exports };
}

export function exp(name: string, desc: ImportDesc): ExportTypeDecl {
  return { name, desc };
}

export function imports(...list: Import[]): Section {
  return { id: 2, imports: list };
}

/** A single-level import when `field` is null. */
export function imp(
  module: string,
  field: string | null,
  desc: ImportDesc,
): Import {
  return { module, field, desc };
}

export const funcDesc = (type: number): ImportDesc => ({ kind: 0, type });
export const moduleDesc = (type: number): ImportDesc => ({ kind: 5, type });
export const instanceDesc = (type: number): ImportDesc => ({ kind: 6, type });
export const globalDesc = (type: number, mutable = false): ImportDesc => ({
  kind: 3,
  type: { type, mutable },
});
export const memoryDesc = (min: number, max?: number): ImportDesc => ({
  kind: 2,
  type: { limits: { min, max }, shared: false, memory64: false },
});
export const tableDesc = (min: number, max?: number): ImportDesc => ({
  kind: 1,
  type: { elem: 0x70, limits: { min, max } },
});
/** A tag of func type `type`. */
export const tagDesc = (type: number): ImportDesc => ({ kind: 4, type });

export function modules(...list: ModuleIR[]): Section {
  return { id: 14, modules: list };
}

/** An instance section: `{ module, args }` instantiates, `{ exports }` makes an instance of items. */
export function instances(
  ...list: ({ module: number; args?: InstanceArg[] } | { exports: InstanceArg[] })[]
): Section {
  return {
    id: 15,
    instances: list.map((i): InstanceDef =>
      "exports" in i
        ? { form: "exports", exports: i.exports }
        : { form: "instantiate", module: i.module, args: i.args ?? [] }
    ),
  };
}

export function arg(
  name: string,
  kind: EntityKind,
  index: number,
): InstanceArg {
  return { name, kind, index };
}

export function aliases(...list: Alias[]): Section {
  return { id: 16, aliases: list };
}

export function aliasExport(
  instance: number,
  kind: EntityKind,
  name: string,
): Alias {
  return { form: "instanceExport", instance, kind, name };
}

export function aliasOuter(depth: number, kind: 5 | 7, index: number): Alias {
  return kind === 5 ? { form: "outerModule", depth, index } : { form: "outerType", depth, index };
}

export function funcs(...typeIndices: number[]): Section {
  return { id: 3, funcs: typeIndices };
}

/** A tag section: the func type index of each tag. */
export function tags(...typeIndices: number[]): Section {
  return { id: 13, tags: typeIndices };
}

export function globals(...list: GlobalDef[]): Section {
  return { id: 6, globals: list };
}

/** An immutable or mutable i32 global initialized to `value` (0..63). */
export function i32Global(value: number, mutable = false): GlobalDef {
  return {
    type: { type: I32, mutable },
    init: new Uint8Array([0x41, value, 0x0b]),
  };
}

export function memories(min: number, max?: number): Section {
  return {
    id: 5,
    memories: [{ limits: { min, max }, shared: false, memory64: false }],
  };
}

export function exports(...list: Export[]): Section {
  return { id: 7, exports: list };
}

export function ex(name: string, kind: EntityKind, index: number): Export {
  return { name, kind, index };
}

export function start(func: number): Section {
  return { id: 8, func };
}

/** A code section: each body is the instruction bytes without locals or `end`. */
export function code(...bodies: number[][]): Section {
  const out: number[] = [bodies.length];
  for (const body of bodies) {
    const entry = [0, ...body, 0x0b];
    out.push(entry.length, ...entry);
  }
  return { id: 10, data: new Uint8Array(out) };
}

/** A `name` custom section naming the module. */
export function moduleName(name: string): Section {
  const bytes = new TextEncoder().encode(name);
  const sub = [bytes.length, ...bytes];
  return { id: 0, name: "name", data: new Uint8Array([0, sub.length, ...sub]) };
}

/** i32.const n (small n). */
export const i32c = (n: number): number[] => [0x41, n];
/** call f. */
export const call = (f: number): number[] => [0x10, f];
/** global.get g. */
export const globalGet = (g: number): number[] => [0x23, g];
/** global.set g. */
export const globalSet = (g: number): number[] => [0x24, g];
