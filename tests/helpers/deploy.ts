/**
 * Helpers of the deploy tests: serving a directory over HTTP, temporary
 * directories, and finding references to other modules in bundled code.
 */

/** Serves the files under `dir` read-only on 127.0.0.1. */
export function serve(dir: URL): { url: string; host: string; close: () => Promise<void> } {
  // A fresh first path segment per server: Deno caches remote modules by URL,
  // and a port seen before must not serve an earlier run's files from that cache.
  const nonce = crypto.randomUUID();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    const prefix = `/${nonce}/`;
    if (!path.startsWith(prefix) || path.includes("..")) {
      return new Response("no", { status: 403 });
    }
    try {
      const body = await Deno.readFile(new URL(path.slice(prefix.length), dir));
      const type = path.endsWith(".ts") ? "application/typescript" : "text/javascript";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const { port } = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}/${nonce}`,
    host: `127.0.0.1:${port}`,
    close: () => server.shutdown(),
  };
}

/** Runs `body` with a fresh temporary directory, removed afterwards. */
export async function inTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "mlink-deploy-test-" });
  try {
    return await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Ways a module can reach another: an import or re-export statement, a
 * dynamic import, `require`, a `node:` builtin. (The loader's own strings,
 * such as `"import"` and messages about imports, match none of these.)
 */
const REFERENCES = [
  /(?:^|[;})\n])\s*import(?:\s+[\w$]|\s*[*{"'`])/,
  /\bimport\s*\(/,
  /(?:^|[;})\n])\s*export\s*(?:\*|\{[^}]*\}\s*from)/,
  /\brequire\s*\(/,
  /["'`]node:/,
];

/** The references of `text` to other modules, one per pattern that matches; empty if none. */
export function moduleReferences(text: string): string[] {
  return REFERENCES.flatMap((pattern) => text.match(pattern)?.[0] ?? []);
}

/** The modules of `file`'s import graph, by `deno info`, each with its dependencies. */
export async function graphOf(file: string): Promise<[string, unknown[]][]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--no-config", "--no-lock", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string; dependencies?: unknown[] }[];
  };
  return info.modules.map((m) => [m.specifier, m.dependencies ?? []]);
}

/** A small deploy: a parent that instantiates a child with a host function `host.add` and re-exports the child's `twice`. */
export const SMALL_PROGRAM = `(module $app
  (import "host" "add" (func $add (param i32 i32) (result i32)))
  (module $child
    (import "add" (func $add (param i32 i32) (result i32)))
    (func (export "twice") (param i32) (result i32)
      local.get 0
      local.get 0
      call $add))
  (instance $c (instantiate $child (import "add" (func $add))))
  (export "twice" (func $c "twice")))`;
