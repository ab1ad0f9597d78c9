/**
 * Index maps: for each index space of a core module, where each old index
 * goes. Fusion gives one per space and per instance, to move every index of
 * an instance's code into the fused module's index spaces.
 *
 * @module
 */

import { INDEX_SPACES, type IndexSpace } from "../compile/opcodes.ts";

/**
 * Where the indices of one space go: `map[old]`, or `map(old)`; an index
 * the map does not cover (an array too short, a function returning
 * `undefined`) is unknown, and rewriting fails with a `CompileError`.
 */
export type IndexMap = readonly number[] | ((index: number) => number | undefined);

/**
 * An index map per space; a space left out keeps its indices.
 *
 * @example
 * ```ts
 * import type { IndexMaps } from "./maps.ts";
 * // Two functions imported in front, and memory 0 becomes memory 1.
 * const maps: IndexMaps = { func: (i) => i + 2, memory: [1] };
 * ```
 */
export type IndexMaps = { readonly [S in IndexSpace]?: IndexMap };

/** How errors name an index of each space: `unknown data segment 3`. */
export const SPACE_WORDS: Readonly<Record<IndexSpace, string>> = {
  func: "function",
  type: "type",
  table: "table",
  memory: "memory",
  global: "global",
  tag: "tag",
  data: "data segment",
  elem: "element segment",
};

type Lookup = (index: number) => number | undefined;

/**
 * {@linkcode IndexMaps} made ready to look up: one function per space, or
 * none for a space that keeps its indices.
 *
 * @example
 * ```ts
 * import { Remap } from "./maps.ts";
 * const remap = new Remap({ global: [3, 4] });
 * remap.of("global", 1); // 4
 * remap.of("global", 2); // undefined: not covered
 * remap.of("func", 9); // 9: kept
 * ```
 */
export class Remap {
  readonly #lookups: Record<IndexSpace, Lookup | undefined>;

  /**
   * @throws {TypeError} when a map is neither an array nor a function.
   */
  constructor(maps: IndexMaps) {
    const lookups = {} as Record<IndexSpace, Lookup | undefined>;
    for (const space of INDEX_SPACES) lookups[space] = lookupOf(space, maps[space]);
    this.#lookups = lookups;
  }

  /** Whether `space` keeps every index. */
  keeps(space: IndexSpace): boolean {
    return this.#lookups[space] === undefined;
  }

  /**
   * Where index `index` of `space` goes, or `undefined` when the map does not cover it.
   *
   * @throws {RangeError} when the map gives something other than a u32.
   */
  of(space: IndexSpace, index: number): number | undefined {
    const lookup = this.#lookups[space];
    if (lookup === undefined) return index;
    const to = lookup(index);
    if (to === undefined || (to >= 0 && to <= 0xffffffff && Number.isInteger(to))) return to;
    throw new RangeError(`the ${space} map gives ${to} for ${index}: not an index`);
  }
}

function lookupOf(space: IndexSpace, map: IndexMap | undefined): Lookup | undefined {
  if (map === undefined) return undefined;
  if (typeof map === "function") return map;
  if (Array.isArray(map)) return (i) => (i < map.length ? map[i] : undefined);
  throw new TypeError(`the ${space} map must be an array or a function`);
}
