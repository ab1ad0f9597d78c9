/**
 * Codecs: how one record is written and read back, as one object with its
 * writer and its reader side by side, and the few combinators the records
 * in `records/` share. A reader builds its record as one object literal, in
 * field order, so TypeScript refuses a reader that forgets a field; the
 * schema round-trip test (`tests/artifact_schema_test.ts`) catches a writer
 * that forgets one, or writes fields in another order.
 *
 * Readers check what they read as they go (`ArtifactReader` bounds every
 * count and length); checks that need a whole module or a whole blob are
 * the records' verifiers.
 *
 * @module
 */

import type { ArtifactReader, ArtifactWriter } from "./bytes.ts";

/**
 * How a value of type `T` is stored. `C` is what reading it needs to know
 * from around it (the number of modules of its blob, say), for the indices
 * it checks as it reads them.
 *
 * @example
 * ```ts
 * import type { Codec } from "./codec.ts";
 * const PAIR: Codec<{ a: number; b: string }> = {
 *   write(w, pair) {
 *     w.uint(pair.a);
 *     w.string(pair.b);
 *   },
 *   read: (r) => ({ a: r.uint(), b: r.string() }),
 * };
 * ```
 */
export interface Codec<T, C = void> {
  /** Writes `value`. */
  write(w: ArtifactWriter, value: T): void;
  /** Reads a value back; fails with an `ArtifactError` on bytes the writer cannot have written. */
  read(r: ArtifactReader, context: C): T;
}

/** A length-prefixed UTF-8 string. */
export const STRING: Codec<string> = {
  write: (w, text) => w.string(text),
  read: (r) => r.string(),
};

/** Length-prefixed bytes, read as a view into the artifact (no copy). */
export const BYTES: Codec<Uint8Array> = {
  write: (w, bytes) => w.bytes(bytes),
  read: (r) => r.bytes(),
};

/** A boolean as one byte, 0 or 1; any other byte fails with `malformed`. */
export function flag(malformed: string): Codec<boolean> {
  return {
    write: (w, value) => w.u8(value ? 1 : 0),
    read(r) {
      const byte = r.u8();
      if (byte > 1) r.fail(malformed);
      return byte === 1;
    },
  };
}

/** A value or `null`: a byte 0 for `null`, or 1 and the value; any other byte fails with `malformed`. */
export function optional<T, C = void>(codec: Codec<T, C>, malformed: string): Codec<T | null, C> {
  return {
    write(w, value) {
      w.u8(value === null ? 0 : 1);
      if (value !== null) codec.write(w, value);
    },
    read(r, context) {
      const present = r.u8();
      if (present > 1) r.fail(malformed);
      return present === 1 ? codec.read(r, context) : null;
    },
  };
}

/**
 * One of a few names, stored as its byte in `tags`, the one table from
 * these names to bytes. A byte that names none fails with `malformed`.
 */
export function oneOf<const K extends string>(
  tags: Readonly<Record<K, number>>,
  malformed: string,
): Codec<K> {
  const names: (K | undefined)[] = [];
  for (const name of Object.keys(tags) as K[]) names[tags[name]] = name;
  return {
    write: (w, value) => w.u8(tags[value]),
    read: (r) => names[r.u8()] ?? r.fail(malformed),
  };
}

/** A list's codec: it writes any list, and reads a list the caller may keep or change. */
export interface ListCodec<T, C = void> extends Codec<readonly T[], C> {
  /** Reads a list back. */
  read(r: ArtifactReader, context: C): T[];
}

/**
 * A count, then that many items. The count is checked against the bytes
 * left (every item takes one at least), then by `limit` when given.
 */
export function vec<T, C = void>(
  item: Codec<T, C>,
  what: string,
  limit?: (r: ArtifactReader, count: number) => void,
): ListCodec<T, C> {
  return {
    write(w, list) {
      w.uint(list.length);
      for (let i = 0; i < list.length; i++) item.write(w, list[i]);
    },
    read(r, context) {
      const count = r.count(what);
      limit?.(r, count);
      const list: T[] = [];
      for (let i = 0; i < count; i++) list.push(item.read(r, context));
      return list;
    },
  };
}
