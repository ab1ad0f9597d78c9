/**
 * Guard rails for the layer order that docs/architecture.md describes: no
 * import cycle among lib/'s files, every import pointing down the layer
 * table below, and the runtime, the artifact codec and the loader free of
 * the compiler, the fusion rewriter and the text front-end. The graph is Deno's own
 * (`deno info --json`), type-only and dynamic imports included.
 */

import { assert, assertEquals } from "@std/assert";

const root = new URL("../", import.meta.url);
const rootPath = decodeURIComponent(root.pathname);

/**
 * The layers, lowest first. A file may import files of lower layers, and
 * files of its own entry: its own folder, where `lib/x/` also covers the
 * facade `lib/x.ts`. Keep this table and docs/architecture.md in step.
 */
const LAYERS: readonly (readonly string[])[] = [
  // Foundations: facts and vocabulary every layer shares.
  ["lib/limits.ts", "lib/errors.ts", "lib/encoding.ts", "lib/ir.ts"],
  // The binary codec, the type store, and reading files.
  ["lib/binary/", "lib/types.ts", "lib/file_reader.ts"],
  // Pure data over types: the compiled form, type printing, shared IR rules.
  ["lib/compiled.ts", "lib/format.ts", "lib/implicit_instance.ts"],
  // The one subtyping implementation.
  ["lib/subtype.ts"],
  // The artifact codec, below the runtime; the compiler, beside it.
  ["lib/artifact/", "lib/compile/"],
  // Telling binaries, artifacts and text apart by their first bytes; the
  // fusion rewriter, over the compiler's opcode table (never under the runtime).
  ["lib/content.ts", "lib/fuse/"],
  // The runtime interprets the compiled form; text lowers to binaries.
  ["lib/runtime/", "lib/text/"],
  // The compiling entry point.
  ["lib/api.ts"],
  // Tools built from the public pieces.
  ["lib/deploy/", "lib/link/", "lib/wasi/", "lib/print/", "lib/validate.ts"],
  // Entry points and runners at the top.
  ["lib/loader.ts", "lib/wast/", "lib/cli/"],
];

/** The layer table's entry (a folder or a file) that holds `path`, and its layer. */
function placeOf(path: string): { entry: string; layer: number } | undefined {
  for (let layer = 0; layer < LAYERS.length; layer++) {
    for (const entry of LAYERS[layer]) {
      const holds = entry.endsWith("/")
        ? path.startsWith(entry) || path === `${entry.slice(0, -1)}.ts`
        : path === entry;
      if (holds) return { entry, layer };
    }
  }
  return undefined;
}

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
}

/** Every lib/ file and what it imports (lib/ files only), as repository paths. */
async function libGraph(): Promise<Map<string, Set<string>>> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(`${rootPath}${dir}`)) {
      if (e.isDirectory) await walk(`${dir}/${e.name}`);
      else if (e.name.endsWith(".ts")) files.push(`${dir}/${e.name}`);
    }
  };
  await walk("lib");
  const graph = new Map<string, Set<string>>();
  // One `deno info` per file not yet reached: workers and lazily imported
  // files are roots of their own.
  for (const file of files.sort()) {
    if (graph.has(file)) continue;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", `${rootPath}${file}`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    for (const m of info.modules) {
      const from = repoPath(m.specifier);
      if (from === undefined || !from.startsWith("lib/")) continue;
      const edges = new Set<string>();
      for (const d of m.dependencies ?? []) {
        for (const target of [d.code?.specifier, d.type?.specifier]) {
          const to = target === undefined ? undefined : repoPath(target);
          if (to !== undefined && to.startsWith("lib/")) edges.add(to);
        }
      }
      graph.set(from, edges);
    }
  }
  assertEquals([...graph.keys()].sort(), files.sort(), "deno info reached every lib/ file");
  return graph;
}

function repoPath(specifier: string): string | undefined {
  if (!specifier.startsWith("file://")) return undefined;
  const path = decodeURIComponent(new URL(specifier).pathname);
  return path.startsWith(rootPath) ? path.slice(rootPath.length) : undefined;
}

/** The import cycles of `graph`: each a strongly connected component of more than one file, or a self-import. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  // Tarjan's algorithm, iterative so that a deep graph cannot overflow.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; edges: string[]; at: number }[] = [];
    const enter = (node: string) => {
      index.set(node, next);
      low.set(node, next++);
      stack.push(node);
      onStack.add(node);
      work.push({ node, edges: [...(graph.get(node) ?? [])], at: 0 });
    };
    enter(start);
    while (work.length > 0) {
      const top = work[work.length - 1];
      if (top.at < top.edges.length) {
        const to = top.edges[top.at++];
        if (!index.has(to)) enter(to);
        else if (onStack.has(to)) low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) !== index.get(top.node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== top.node);
      if (component.length > 1 || graph.get(top.node)?.has(top.node)) found.push(component.sort());
    }
  }
  return found;
}

/** Every file reachable from `starts` in `graph`. */
function reachable(graph: Map<string, Set<string>>, starts: readonly string[]): Set<string> {
  const seen = new Set<string>(starts);
  const queue = [...starts];
  while (queue.length > 0) {
    for (const to of graph.get(queue.pop()!) ?? []) {
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}

const graphPromise = libGraph();

Deno.test("lib/ has no import cycle, type-only imports included", async () => {
  const graph = await graphPromise;
  assert(graph.size > 50, `the graph was read (${graph.size} files)`);
  assertEquals(cycles(graph), []);
});

Deno.test("every lib/ file has a layer, and imports only downwards", async () => {
  const graph = await graphPromise;
  const unplaced = [...graph.keys()].filter((f) => placeOf(f) === undefined);
  assertEquals(unplaced, [], "add each file to LAYERS (and docs/architecture.md)");
  const upward: string[] = [];
  for (const [from, edges] of graph) {
    const here = placeOf(from)!;
    for (const to of edges) {
      const there = placeOf(to)!;
      const down = there.layer < here.layer || there.entry === here.entry;
      if (!down) upward.push(`${from} (layer ${here.layer}) imports ${to} (layer ${there.layer})`);
    }
  }
  assertEquals(upward, []);
});

Deno.test("the runtime, the artifact codec and the loader never reach the compiler, fusion or text", async () => {
  const graph = await graphPromise;
  const light = [...graph.keys()].filter((f) =>
    f.startsWith("lib/runtime/") || f.startsWith("lib/artifact/") || f === "lib/loader.ts"
  );
  assert(light.includes("lib/runtime/instantiate.ts") && light.includes("lib/artifact/read.ts"));
  const heavy = [...reachable(graph, light)].filter((f) =>
    f.startsWith("lib/compile/") || f.startsWith("lib/text/") || f.startsWith("lib/fuse/") ||
    f === "lib/api.ts"
  );
  assertEquals(heavy, []);
});

Deno.test("the cycle finder finds cycles, so the test above can fail", () => {
  const graph = new Map([
    ["a", new Set(["b"])],
    ["b", new Set(["c"])],
    ["c", new Set(["a", "d"])],
    ["d", new Set<string>()],
    ["e", new Set(["e"])],
  ]);
  assertEquals(cycles(graph), [["a", "b", "c"], ["e"]]);
  assertEquals(placeOf("lib/runtime/module.ts"), { entry: "lib/runtime/", layer: 6 });
  assertEquals(placeOf("lib/wasi.ts"), { entry: "lib/wasi/", layer: 8 });
  assertEquals(placeOf("lib/nowhere.ts"), undefined);
});
