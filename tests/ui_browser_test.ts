// The web UI driven in Debian's Chromium (playwright-core) against a real Reredis: live keys,
// value edits, delete, console, expiry, charts; and no console errors anywhere.

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { freePort, type RunningServer, startReredis } from "./helpers/server.ts";

const CHROMIUM = "/usr/bin/chromium";

function chromiumInstalled(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

const HAVE_CHROMIUM = chromiumInstalled();
if (!HAVE_CHROMIUM) {
  console.warn(
    `\n*** tests/ui_test.ts: ${CHROMIUM} not found, browser tests SKIPPED ` +
      "(install it with `apt-get install -y chromium`; CI does) ***\n",
  );
}

async function launch(): Promise<{ ctx: BrowserContext; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "reredis-chromium-" });
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
  return { ctx, dir };
}

/** A row of the keys list by exact key name. */
function row(page: Page, key: string) {
  return page.locator(`.krow[data-key="${key.replace(/["\\]/g, "\\$&")}"]`);
}

Deno.test({
  name: "web UI in Chromium: live keys, value edits, delete, console, expiry",
  ignore: !HAVE_CHROMIUM,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const httpPort = freePort();
    const server: RunningServer = await startReredis([
      "--http-port",
      String(httpPort),
    ]);
    const redis = new Redis(server.port, "127.0.0.1", { lazyConnect: true });
    await redis.connect();
    const { ctx, dir } = await launch();
    const problems: string[] = [];
    // Steps share one page: after a failure the rest are skipped rather than timing out.
    let failed = false;
    const step = async (name: string, fn: () => Promise<void>) => {
      if (!(await t.step({ name, ignore: failed, fn }))) failed = true;
    };
    try {
      await redis.set("greeting", "hello");
      await redis.hset("user:1", "name", "Ada", "lang", "en");
      const page = await ctx.newPage();
      page.setDefaultTimeout(8000);
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") {
          problems.push(m.text());
        }
      });
      page.on("pageerror", (e) => problems.push(e.message));
      const base = `http://127.0.0.1:${httpPort}`;

      await step(
        "the page loads and lists keys created through RESP",
        async () => {
          await page.goto(base + "/");
          await row(page, "greeting").waitFor({ timeout: 10000 });
          await row(page, "user:1").waitFor();
          await page.locator(".conn-open").waitFor();
        },
      );

      await step(
        "a key written by a Redis client appears live and flashes",
        async () => {
          await redis.set("live:new", "1");
          await row(page, "live:new").waitFor({ timeout: 5000 });
        },
      );

      await step(
        "editing a hash field in the UI is visible through ioredis",
        async () => {
          await row(page, "user:1").click();
          const cell = page.locator(".elements td", { hasText: "Ada" });
          await cell.dblclick();
          const input = page.locator(".cell-input");
          await input.fill("Grace");
          await input.press("Enter");
          await waitUntil(async () => (await redis.hget("user:1", "name")) === "Grace");
          await page.locator(".elements td", { hasText: "Grace" }).waitFor();
        },
      );

      await step(
        "a string edit round-trips and a RESP write shows up in the panel",
        async () => {
          await row(page, "greeting").click();
          await page.locator(".string-value", { hasText: "hello" }).waitFor();
          await page.getByRole("button", { name: "Edit" }).click();
          await page.locator("textarea.string-value").fill("hello from the UI");
          await page.getByRole("button", { name: "Save" }).click();
          await waitUntil(async () => (await redis.get("greeting")) === "hello from the UI");
          await redis.set("greeting", "changed elsewhere");
          await page.locator(".string-value", { hasText: "changed elsewhere" })
            .waitFor();
        },
      );

      await step(
        "deleting in the UI (with confirmation) removes the key",
        async () => {
          await redis.set("doomed", "x");
          await row(page, "doomed").click();
          await page.locator(".value-meta").getByRole("button", {
            name: "Delete",
          }).click();
          await page.locator("dialog").getByRole("button", { name: "Delete" })
            .click();
          await waitUntil(async () => (await redis.exists("doomed")) === 0);
          await row(page, "doomed").waitFor({ state: "detached" });
        },
      );

      await step("expiry makes a row disappear", async () => {
        await redis.set("short:lived", "x", "PX", 1200);
        await row(page, "short:lived").waitFor({ timeout: 5000 });
        await row(page, "short:lived").waitFor({
          state: "detached",
          timeout: 8000,
        });
      });

      await step("the tree view groups keys by ':'", async () => {
        await redis.set("app:cfg:mode", "dark");
        await page.getByRole("button", { name: "Tree" }).click();
        await page.locator(".krow.folder", { hasText: "app:" }).click();
        await page.locator(".krow.folder", { hasText: "cfg:" }).click();
        await row(page, "app:cfg:mode").waitFor();
        await page.getByRole("button", { name: "List" }).click();
      });

      await step("a key created in the UI is readable through ioredis", async () => {
        await page.getByRole("button", { name: "+ Key" }).click();
        const dialog = page.locator("dialog");
        await dialog.getByLabel("Type").selectOption("hash");
        await dialog.getByLabel("Key", { exact: true }).fill("made:in:ui");
        await dialog.getByLabel("field").fill("f");
        await dialog.getByLabel("value").fill("v");
        await dialog.getByLabel("TTL in seconds (optional)").fill("600");
        await dialog.getByRole("button", { name: "Create" }).click();
        await waitUntil(async () => (await redis.hget("made:in:ui", "f")) === "v");
        await waitUntil(async () => (await redis.ttl("made:in:ui")) > 500);
        await row(page, "made:in:ui").waitFor();
      });

      await step("the console runs INCR and shows the integer", async () => {
        await redis.set("counter", "41");
        await page.getByRole("link", { name: "Console" }).click();
        const input = page.getByLabel("Command");
        await input.fill("INCR counter");
        await input.press("Enter");
        await page.locator(".console-reply", { hasText: "(integer) 42" })
          .waitFor();
        assert.equal(await redis.get("counter"), "42");
        await input.press("ArrowUp");
        assert.equal(await input.inputValue(), "INCR counter");
      });

      await step("the server view draws charts from INFO", async () => {
        await page.getByRole("link", { name: "Server" }).click();
        await page.locator(".chart svg path.line").first().waitFor({
          timeout: 5000,
        });
      });

      await step("the live feed lists change events", async () => {
        await page.getByRole("link", { name: "Live feed" }).click();
        await redis.set("feed:probe", "1");
        await page.locator(".frow", { hasText: "feed:probe" }).first().waitFor();
      });

      await step("the layout fits a phone width", async () => {
        await page.setViewportSize({ width: 390, height: 800 });
        await page.getByRole("link", { name: "Keys" }).click();
        // One pane at a time: the selected key's value, then back to the list.
        await page.getByRole("button", { name: "Back to keys" }).click();
        await row(page, "greeting").waitFor();
        const width = await page.evaluate("document.documentElement.scrollWidth") as number;
        assert.ok(width <= 390, `page is ${width}px wide at a 390px viewport`);
        await page.setViewportSize({ width: 1280, height: 800 });
      });

      if (Deno.env.get("UI_SCREENSHOTS")) await screenshots(page, base, redis);
      await page.close();
      assert.deepEqual(problems, [], "console errors or warnings in the page");
    } finally {
      await ctx.close();
      redis.disconnect();
      await server.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

async function waitUntil(
  check: () => Promise<boolean>,
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** UI_SCREENSHOTS=1 refreshes docs/ui-*.png (shown in the README). */
async function screenshots(page: Page, base: string, redis: Redis): Promise<void> {
  const docs = new URL("../docs/", import.meta.url).pathname;
  const shot = (name: string) => page.screenshot({ path: `${docs}ui-${name}.png` });
  const nav = (name: string) => page.getByRole("link", { name, exact: true }).click();
  for (let i = 0; i < 40; i++) {
    await redis.set(`user:${i}:name`, `user ${i}`);
    await redis.hset(`user:${i}:profile`, "age", String(20 + i), "city", "Paris");
  }
  await redis.rpush("queue:jobs", "a", "b", "c");
  await redis.zadd("leaderboard", 10, "ada", 20, "grace", 15, "linus");
  await redis.set("session:x", "1", "EX", 3600);
  // Some traffic so the charts and the feed have something to show.
  let writing = true;
  const traffic = (async () => {
    for (let i = 0; writing; i++) {
      await redis.set(`metrics:${i % 50}`, String(i), "EX", 30);
      await redis.incr("metrics:hits");
      await redis.get(`user:${i % 40}:name`);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await page.goto(`${base}/keys`);
  await row(page, "leaderboard").click();
  await page.waitForTimeout(800);
  await shot("keys");
  await nav("Live feed");
  await page.waitForTimeout(3000);
  await shot("feed");
  await nav("Analysis");
  await page.getByRole("button", { name: "Analyze" }).click();
  await page.getByText("Done:").waitFor();
  await shot("analysis");
  await nav("Export / import");
  await shot("transfer");
  await nav("Console");
  for (const c of ["HGETALL user:1:profile", "INCR visits", "ZRANGE leaderboard 0 -1 WITHSCORES"]) {
    await page.getByLabel("Command").fill(c);
    await page.getByLabel("Command").press("Enter");
  }
  await page.waitForTimeout(300);
  await shot("console");
  await nav("Server");
  await page.waitForTimeout(5000);
  await shot("server");
  await nav("Cluster");
  await page.waitForTimeout(1200);
  await shot("cluster");
  writing = false;
  await traffic;
  await page.setViewportSize({ width: 390, height: 800 });
  await nav("Keys");
  await page.getByRole("button", { name: "Back to keys" }).click();
  await page.waitForTimeout(500);
  await shot("phone");
  await page.setViewportSize({ width: 1280, height: 800 });
}

Deno.test({
  name: "web UI in Chromium: a password-protected server asks for a login, then works",
  ignore: !HAVE_CHROMIUM,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const httpPort = freePort();
    const server = await startReredis(["--http-port", String(httpPort), "--requirepass", "s3cret"]);
    const redis = new Redis(server.port, "127.0.0.1", { password: "s3cret", lazyConnect: true });
    await redis.connect();
    const { ctx, dir } = await launch();
    try {
      await redis.set("guarded", "1");
      const page = await ctx.newPage();
      page.setDefaultTimeout(8000);
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
      await page.goto(`http://127.0.0.1:${httpPort}/keys`);
      await page.getByLabel("Password").fill("s3cret");
      await page.getByRole("button", { name: "Log in" }).click();
      await row(page, "guarded").waitFor();
      await page.getByRole("button", { name: "Log out" }).click();
      await page.getByLabel("Password").waitFor();
      assert.deepEqual(problems, []);
    } finally {
      await ctx.close();
      redis.disconnect();
      await server.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
