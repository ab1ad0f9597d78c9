/**
 * The entity type record: what an import or an export describes. It is a
 * kind byte (the kind's binary encoding, {@linkcode Kind}), then the fields
 * of that kind's form. {@linkcode ENTITY_FORMS} is the one table of forms:
 * for each kind, how its type is written and read, which features it shows
 * and when two are the same type. A kind missing from it is one artifacts
 * cannot hold (types).
 *
 * @module
 */

import {
  type EntityKind,
  type GlobalType,
  isRefType,
  isValType,
  Kind,
  type Limits,
  type MemoryType,
  type TableType,
  ValType,
} from "../../ir.ts";
import type { EntityType } from "../../types.ts";
import { type Codec, flag } from "../codec.ts";
import { Flags } from "../format.ts";

/** The entity type of kind `K`. */
export type EntityOf<K extends EntityKind> = Extract<EntityType, { readonly kind: K }>;

/**
 * How the entity types `E` of one kind are stored and compared. Its codec
 * writes and reads what follows the kind byte.
 */
export interface EntityForm<E extends EntityType> extends Codec<E> {
  /** The feature flags a type of this form shows (see `Flags`). */
  features(t: E): number;
  /** Whether two types of this form, of the same type tables, are the same type. */
  same(a: E, b: E): boolean;
}

function hex(byte: number): string {
  return byte.toString(16);
}

/** A value type: one byte of the value-type table. */
const VALTYPE: Codec<ValType> = {
  write: (w, type) => w.u8(type),
  read(r) {
    const type = r.u8();
    if (!isValType(type)) r.fail(`unknown value type 0x${hex(type)}`);
    return type;
  },
};

/** A reference type: what a table holds. */
const REFTYPE: Codec<ValType> = {
  write: (w, type) => w.u8(type),
  read(r) {
    const type = r.u8();
    if (!isRefType(type)) r.fail(`unknown reference type 0x${hex(type)}`);
    return type;
  },
};

/** A list of value types (a function's params or results), as a byte string. */
export const VALTYPES: Codec<readonly ValType[]> = {
  write: (w, list) => w.bytes(Uint8Array.from(list)),
  read(r) {
    const list = Array.from(r.bytes());
    for (const type of list) {
      if (!isValType(type)) r.fail(`unknown value type 0x${hex(type)}`);
    }
    return list;
  },
};

/** Limits: whether there is a maximum, the minimum, then the maximum if any. */
const LIMITS: Codec<Limits> = {
  write(w, { min, max }) {
    w.u8(max === undefined ? 0 : 1);
    w.uint(min);
    if (max !== undefined) w.uint(max);
  },
  read(r) {
    const hasMax = r.u8();
    if (hasMax > 1) r.fail("malformed limits");
    const min = r.uint();
    return hasMax ? { min, max: r.uint() } : { min };
  },
};

const TABLE_TYPE: Codec<TableType> = {
  write(w, t) {
    REFTYPE.write(w, t.elem);
    LIMITS.write(w, t.limits);
  },
  read: (r) => ({ elem: REFTYPE.read(r), limits: LIMITS.read(r) }),
};

/** The bits of a memory type's flags byte. */
const MemoryFlags = { Shared: 1, Memory64: 2 } as const;

/** A memory type: its flags byte, then its limits. */
const MEMORY_TYPE: Codec<MemoryType> = {
  write(w, m) {
    w.u8((m.shared ? MemoryFlags.Shared : 0) | (m.memory64 ? MemoryFlags.Memory64 : 0));
    LIMITS.write(w, m.limits);
  },
  read(r) {
    const flags = r.u8();
    if (flags > (MemoryFlags.Shared | MemoryFlags.Memory64)) r.fail("malformed memory flags");
    return {
      shared: (flags & MemoryFlags.Shared) !== 0,
      memory64: (flags & MemoryFlags.Memory64) !== 0,
      limits: LIMITS.read(r),
    };
  },
};

const MUTABLE = flag("malformed mutability");

const GLOBAL_TYPE: Codec<GlobalType> = {
  write(w, g) {
    VALTYPE.write(w, g.type);
    MUTABLE.write(w, g.mutable);
  },
  read: (r) => ({ type: VALTYPE.read(r), mutable: MUTABLE.read(r) }),
};

/** The feature flags value types show. */
export function valTypeFeatures(types: readonly ValType[]): number {
  let flags = 0;
  for (const type of types) {
    if (type === ValType.V128) flags |= Flags.Simd;
    if (type === ValType.ExternRef) flags |= Flags.ReferenceTypes;
    if (type === ValType.ExnRef) flags |= Flags.ExceptionHandling;
  }
  return flags;
}

function sameLimits(a: Limits, b: Limits): boolean {
  return a.min === b.min && a.max === b.max;
}

/** For the forms whose type is an index into the blob's type tables. */
const sameIndex = (a: { type: number }, b: { type: number }) => a.type === b.type;
const noFeatures = () => 0;

/** Every kind an artifact's entity types can have, and its form. */
export const ENTITY_FORMS: { readonly [K in EntityKind]: EntityForm<EntityOf<K>> } = {
  [Kind.Func]: {
    write: (w, t) => w.uint(t.type),
    read: (r) => ({ kind: Kind.Func, type: r.uint() }),
    features: noFeatures,
    same: sameIndex,
  },
  [Kind.Table]: {
    write: (w, t) => TABLE_TYPE.write(w, t.type),
    read: (r) => ({ kind: Kind.Table, type: TABLE_TYPE.read(r) }),
    features: (t) => valTypeFeatures([t.type.elem]),
    same: (a, b) => a.type.elem === b.type.elem && sameLimits(a.type.limits, b.type.limits),
  },
  [Kind.Memory]: {
    write: (w, t) => MEMORY_TYPE.write(w, t.type),
    read: (r) => ({ kind: Kind.Memory, type: MEMORY_TYPE.read(r) }),
    features: (t) =>
      (t.type.shared ? Flags.SharedMemory : 0) | (t.type.memory64 ? Flags.Memory64 : 0),
    same: (a, b) =>
      a.type.shared === b.type.shared && a.type.memory64 === b.type.memory64 &&
      sameLimits(a.type.limits, b.type.limits),
  },
  [Kind.Global]: {
    write: (w, t) => GLOBAL_TYPE.write(w, t.type),
    read: (r) => ({ kind: Kind.Global, type: GLOBAL_TYPE.read(r) }),
    features: (t) => valTypeFeatures([t.type.type]),
    same: (a, b) => a.type.type === b.type.type && a.type.mutable === b.type.mutable,
  },
  [Kind.Tag]: {
    write: (w, t) => w.uint(t.type),
    read: (r) => ({ kind: Kind.Tag, type: r.uint() }),
    // Its value types show their own features through the func type it indexes.
    features: () => Flags.ExceptionHandling,
    same: sameIndex,
  },
  [Kind.Module]: {
    write: (w, t) => w.uint(t.type),
    read: (r) => ({ kind: Kind.Module, type: r.uint() }),
    features: noFeatures,
    same: sameIndex,
  },
  [Kind.Instance]: {
    write: (w, t) => w.uint(t.type),
    read: (r) => ({ kind: Kind.Instance, type: r.uint() }),
    features: noFeatures,
    same: sameIndex,
  },
};

/** The forms by kind byte; a hole for a byte that is no kind of entity. */
const FORMS: (EntityForm<EntityType> | undefined)[] = [];
for (const [kind, form] of Object.entries(ENTITY_FORMS)) FORMS[Number(kind)] = form;

/** Whether `byte` is the kind of an entity, one that {@linkcode ENTITY_FORMS} has. */
function isEntityKind(byte: number): byte is EntityKind {
  return FORMS[byte] !== undefined;
}

/** The form of entity kind `kind`. */
function formOf(kind: EntityKind): EntityForm<EntityType> {
  return ENTITY_FORMS[kind];
}

/** An entity kind: one byte, which must be a kind of {@linkcode ENTITY_FORMS}. */
export const KIND: Codec<EntityKind> = {
  write: (w, kind) => w.u8(kind),
  read(r) {
    const kind = r.u8();
    if (!isEntityKind(kind)) return r.fail(`unknown entity kind ${kind}`);
    return kind;
  },
};

/**
 * An entity type: its kind byte, then its form. References to the type
 * tables are checked later, once the tables' lengths are known.
 */
export const ENTITY: Codec<EntityType> = {
  write(w, t) {
    w.u8(t.kind);
    formOf(t.kind).write(w, t);
  },
  read(r) {
    const kind = r.u8();
    return (FORMS[kind] ?? r.fail(`unknown entity kind ${kind}`)).read(r);
  },
};

/** The feature flags an entity type shows. */
export function entityFeatures(t: EntityType): number {
  return formOf(t.kind).features(t);
}

/** Whether two entity types of the same type tables are the same type. */
export function sameEntity(a: EntityType, b: EntityType): boolean {
  return a.kind === b.kind && formOf(a.kind).same(a, b);
}
