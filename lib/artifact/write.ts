/**
 * Serializes a module graph into an artifact. Deterministic: the same graph
 * gives the same bytes. The records' layouts are in `records/`.
 *
 * @module
 */

import { ArtifactWriter } from "./bytes.ts";
import { HEADER_SIZE, type ModuleGraph } from "./format.ts";
import { GRAPH } from "./records/graph.ts";
import { writeHeader } from "./records/header.ts";
import { typeFeatures } from "./records/types.ts";

/** The bytes of an artifact holding `graph`. */
export function writeArtifact(graph: ModuleGraph): Uint8Array {
  const w = new ArtifactWriter();
  // Room for the header, filled in once the payload is known.
  w.raw(new Uint8Array(HEADER_SIZE));
  GRAPH.write(w, graph);
  let flags = 0;
  for (const blob of graph.blobs) flags |= typeFeatures(blob.types);
  const artifact = w.finish();
  writeHeader(artifact, flags);
  return artifact;
}
