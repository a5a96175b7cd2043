// The built-in web UI's embedding: the committed bundle is fresh and within budget, and serveUi
// answers with the right types, encodings and cache headers. Browser tests: ui_browser_test.ts.

import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { UI_ASSETS, UI_SOURCE_HASH } from "../src/net/ui_bundle.gen.ts";
import { serveUi } from "../src/net/ui_assets.ts";
import { webSourceHash } from "../scripts/build_web.ts";

const BUDGET_GZ = 60 * 1024;

Deno.test("the committed UI bundle was built from the current web/ sources", async () => {
  assert.equal(
    UI_SOURCE_HASH,
    await webSourceHash(),
    "src/net/ui_bundle.gen.ts is stale: run `deno task build:web` and commit it",
  );
});

Deno.test("the whole UI (HTML, JS, CSS) stays under 60 kB gzipped", () => {
  const total = Object.values(UI_ASSETS).reduce((n, a) => n + a.gzipSize, 0);
  assert.ok(
    total < BUDGET_GZ,
    `UI is ${total} B gzipped, budget ${BUDGET_GZ} B`,
  );
});

Deno.test("the UI's own unit tests (web/**/*_test.ts) pass", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--config", "web/deno.json", "web/"],
    cwd: root,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, text);
});

function get(
  path: string,
  headers: Record<string, string> = {},
): Response | undefined {
  return serveUi(new Request("http://localhost" + path, { headers }));
}

Deno.test("serveUi answers index.html for / and SPA routes, nothing for API paths", async () => {
  for (
    const p of ["/", "/keys", "/keys/user:1", "/console", "/server", "/cluster"]
  ) {
    const r = get(p)!;
    assert.equal(r.status, 200, p);
    assert.equal(r.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(r.headers.get("cache-control"), "no-cache");
    assert.match(await r.text(), /<div id="app">/);
  }
  for (
    const p of [
      "/api/info",
      "/ws",
      "/metrics",
      "/healthz",
      "/nope",
      "/assets/missing.js",
    ]
  ) {
    assert.equal(get(p), undefined, p);
  }
  const post = serveUi(new Request("http://localhost/", { method: "POST" }));
  assert.equal(post, undefined);
});

Deno.test("serveUi compresses by Accept-Encoding and caches hashed assets forever", async () => {
  const js = Object.keys(UI_ASSETS).find((p) => p.endsWith(".js"))!;
  const br = get(js, { "accept-encoding": "gzip, deflate, br" })!;
  assert.equal(br.headers.get("content-encoding"), "br");
  assert.equal(
    br.headers.get("content-type"),
    "text/javascript; charset=utf-8",
  );
  assert.equal(
    br.headers.get("cache-control"),
    "public, max-age=31536000, immutable",
  );
  assert.equal(br.headers.get("vary"), "accept-encoding");
  const gz = get(js, { "accept-encoding": "gzip" })!;
  assert.equal(gz.headers.get("content-encoding"), "gzip");
  const unzipped = gunzipSync(new Uint8Array(await gz.arrayBuffer()));
  const plain = get(js)!;
  assert.equal(plain.headers.get("content-encoding"), null);
  const body = new Uint8Array(await plain.arrayBuffer());
  assert.equal(body.length, UI_ASSETS[js].size);
  assert.deepEqual(new Uint8Array(unzipped), body);
  assert.equal(
    get(js, { "accept-encoding": "br;q=0, gzip" })!.headers.get(
      "content-encoding",
    ),
    "gzip",
  );
  await br.body?.cancel();
});

Deno.test("serveUi answers 304 for a matching ETag", async () => {
  const first = get("/")!;
  const etag = first.headers.get("etag")!;
  await first.body?.cancel();
  assert.match(etag, /^"[0-9a-f]+"$/);
  const again = get("/", { "if-none-match": etag })!;
  assert.equal(again.status, 304);
  assert.equal(again.body, null);
  const head = serveUi(
    new Request("http://localhost/favicon.svg", { method: "HEAD" }),
  )!;
  assert.equal(head.headers.get("content-type"), "image/svg+xml");
  assert.equal(head.body, null);
});
