/**
 * Reads an artifact back into a module graph. Nothing is trusted: the
 * header, the checksum, and then every count, index and reference in the
 * metadata are checked before use, each blob's modules must form a tree, and
 * exports must match their types, so that even a crafted artifact with a
 * valid checksum cannot make instantiation read out of bounds or loop.
 * Core bytes stay views into the artifact (no copies); V8 validates them.
 * The records' layouts and checks are in `records/`.
 *
 * @module
 */

import { ArtifactReader } from "./bytes.ts";
import { HEADER_SIZE, type ModuleGraph } from "./format.ts";
import { GRAPH } from "./records/graph.ts";
import { checkHeader } from "./records/header.ts";

/**
 * Checks an artifact's header and checksum and reads its module graph.
 * `source` (a file name, say) is put in front of error messages.
 */
export function readArtifact(bytes: Uint8Array, source?: string): ModuleGraph {
  checkHeader(bytes, source);
  return GRAPH.read(new ArtifactReader(bytes, HEADER_SIZE, bytes.length, source));
}
