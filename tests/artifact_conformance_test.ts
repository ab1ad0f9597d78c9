/**
 * Every module of the module-linking conformance suite, and of our own
 * scripts of tags and instances made of exports, through an artifact:
 * compile → serialize → deserialize gives the same imports, exports and
 * behaviour, and serializing again gives the same bytes. Modules that
 * import from earlier ones get the instances the script registered
 * (`(module $name …)` is importable as `name`), built from the loaded
 * artifacts, so the linking itself also runs on deserialized modules.
 */

import { assertEquals } from "@std/assert";
import { compile, type Instance, instantiateSync, Module } from "../mod.ts";
import { parseWat, readSExprs, type SExpr, type SList } from "../lib/text/mod.ts";

const dir = new URL("../../shared/conformance/module-linking/", import.meta.url);
const present = await Deno.stat(dir).then(() => true, () => false);
if (!present) console.log("skipping artifact conformance tests: ../shared not found");

const files = present
  ? [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".wast")).sort()
  : [];

/** Our scripts whose modules exercise what the suite predates: tags, instances of exports. */
const ours = new URL("./wast/", import.meta.url);
const OUR_FILES = ["exceptions.wast", "instance-exports.wast"];

function head(e: SExpr): string | undefined {
  return e.type === "list" && e.items[0]?.type === "atom" ? e.items[0].text : undefined;
}

type Fn = () => unknown;

/** Calls every export that takes no arguments; returns results (or error names) by name. */
function behaviour(module: Module, instance: Instance): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of module.exports()) {
    if (e.kind !== "func" || e.params!.length !== 0) continue;
    try {
      out[e.name] = (instance.exports[e.name] as Fn)();
    } catch (error) {
      // A wasm exception is no Error: it has no name.
      out[e.name] = error instanceof Error ? error.name : Object.prototype.toString.call(error);
    }
  }
  return out;
}

/** Every module of script `file` in `from`, compiled and through an artifact, behaves the same. */
async function roundTrips(from: URL, file: string): Promise<void> {
  const text = await Deno.readTextFile(new URL(file, from));
  const registered: Record<string, Instance> = {};
  let count = 0;
  for (const form of readSExprs(text, file)) {
    if (head(form) !== "module") continue;
    const list = form as SList;
    const bytes = await parseWat(text, { filename: file, module: list });
    const original = await compile(bytes);
    const artifact = original.serialize();
    const loaded = Module.deserialize(artifact, file);
    assertEquals(loaded.serialize(), artifact, `${file}: serialization is stable`);
    assertEquals(loaded.imports(), original.imports());
    assertEquals(loaded.exports(), original.exports());
    // Instantiate both against what earlier modules registered.
    let fromOriginal: Instance;
    try {
      fromOriginal = instantiateSync(original, registered);
    } catch (e) {
      // Then the loaded one must fail the same way.
      let failure = "";
      try {
        instantiateSync(loaded, registered);
      } catch (again) {
        failure = (again as Error).name;
      }
      assertEquals(failure, (e as Error).name);
      continue;
    }
    const fromLoaded = instantiateSync(loaded, registered);
    assertEquals(behaviour(loaded, fromLoaded), behaviour(original, fromOriginal));
    const id = list.items[1];
    if (id?.type === "atom" && id.kind === "id") registered[id.text.slice(1)] = fromLoaded;
    count++;
  }
  if (count === 0) throw new Error(`${file}: no module instantiated`);
}

for (const file of files) {
  Deno.test({
    name: `artifact round trip: module-linking/${file}`,
    ignore: !present,
    fn: () => roundTrips(dir, file),
  });
}

for (const file of OUR_FILES) {
  Deno.test(`artifact round trip: tests/wast/${file}`, () => roundTrips(ours, file));
}
