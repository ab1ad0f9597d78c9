/**
 * Kinds as the text front-end uses them: the keyword that names each entity
 * kind, the index spaces a module has (its types included), and kinds in
 * messages. The kinds themselves and their words are lib/ir.ts's.
 *
 * @module
 */

import {
  CORE_KINDS,
  type CoreKind,
  ENTITY_KINDS,
  type EntityKind,
  Kind,
  KIND_NAMES,
  kindName,
  withArticle,
} from "../ir.ts";

/** An index space of a module: an entity kind, or {@linkcode Kind.Type} for its types. */
export type SpaceKind = EntityKind | typeof Kind.Type;

/** What an outer alias can name: a module or a type of an enclosing module. */
export type OuterKind = typeof Kind.Module | typeof Kind.Type;

export { CORE_KINDS };

/** Every index space of a module, in the order messages consider them. */
export const SPACE_KINDS: readonly SpaceKind[] = [...ENTITY_KINDS, Kind.Type];

const ENTITY_KIND_BY_KEYWORD: ReadonlyMap<string, EntityKind> = new Map(
  ENTITY_KINDS.map((kind) => [KIND_NAMES[kind], kind]),
);

/**
 * The entity kind a keyword names, if it names one.
 *
 * @example
 * ```ts
 * import { entityKind } from "./kinds.ts";
 * entityKind("memory"); // 2, Kind.Memory
 * entityKind("type"); // undefined: types are no entities
 * ```
 */
export function entityKind(keyword: string | undefined): EntityKind | undefined {
  return keyword === undefined ? undefined : ENTITY_KIND_BY_KEYWORD.get(keyword);
}

/**
 * A kind with its article, for messages.
 *
 * @example
 * ```ts
 * import { aKind } from "./kinds.ts";
 * aKind(0); // "a func"
 * aKind(6); // "an instance"
 * ```
 */
export function aKind(kind: SpaceKind): string {
  return withArticle(kindName(kind));
}

/** One value per core kind, each made by `make`. */
export function perCoreKind<T>(make: (kind: CoreKind) => T): Record<CoreKind, T> {
  return {
    [Kind.Func]: make(Kind.Func),
    [Kind.Table]: make(Kind.Table),
    [Kind.Memory]: make(Kind.Memory),
    [Kind.Global]: make(Kind.Global),
    [Kind.Tag]: make(Kind.Tag),
  };
}
