/**
 * The artifact format's constants and shapes, shared by writer and reader.
 * The layout is specified in docs/artifact-format.md.
 *
 * @module
 */

import type { CompiledBlob } from "../compiled.ts";
import { startsWith } from "../encoding.ts";

/** First four bytes of every artifact: `\0mlk`. */
export const ARTIFACT_MAGIC: readonly number[] = [0x00, 0x6d, 0x6c, 0x6b];

/** Whether `bytes` start like an artifact. */
export function looksLikeArtifact(bytes: Uint8Array): boolean {
  return startsWith(bytes, ARTIFACT_MAGIC);
}

/** The format version this code writes and reads. */
export const ARTIFACT_VERSION = 4;

/** Bytes before the payload: magic, version, flags, payload length, checksum. */
export const HEADER_SIZE = 20;

/** Feature flags: core features that the artifact's types show it uses. */
export const Flags = {
  Simd: 1,
  Memory64: 2,
  SharedMemory: 4,
  ReferenceTypes: 8,
  MultiValue: 16,
  ExceptionHandling: 32,
} as const;

/** Every flag this version knows: any other bit set in a header is refused. */
export const KNOWN_FLAGS: number = Object.values(Flags).reduce((all, flag) => all | flag, 0);

/**
 * A module value and what it closed over, flattened: `nodes` lists module
 * values, each one a module of a blob plus its upvars (earlier nodes).
 */
export interface ModuleGraph {
  /** The compiled blobs, each once however many nodes share it. */
  readonly blobs: readonly CompiledBlob[];
  /** The module values, each after the nodes it captured. */
  readonly nodes: readonly {
    readonly blob: number;
    readonly module: number;
    readonly upvars: readonly number[];
  }[];
  /** The node of the serialized module. */
  readonly root: number;
}
