// RESP protocol behaviour over raw sockets: framing at any byte boundary, pipelining, inline
// commands, binary safety, and protocol errors (Redis 7.0.15's exact texts, verified against
// redis-server), which close only the offending connection.

import assert from "node:assert/strict";
import { type RunningServer, startReredis } from "./helpers/server.ts";

const enc = new TextEncoder();
const latin1 = (b: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
};
const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw TCP connection with byte-exact reads (no RESP decoding). */
class Raw {
  #pending = new Uint8Array(0);
  closed = false;
  private constructor(readonly conn: Deno.TcpConn) {}

  static async open(port: number): Promise<Raw> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new Raw(conn);
  }

  async write(data: string | Uint8Array): Promise<void> {
    let b = typeof data === "string" ? bytesOf(data) : data;
    while (b.length) b = b.subarray(await this.conn.write(b));
  }

  /** Reads more bytes into the pending buffer; false on EOF or timeout. */
  async #fill(deadline: number): Promise<boolean> {
    const buf = new Uint8Array(256 * 1024);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), Math.max(0, deadline - Date.now()));
    });
    try {
      const n = await Promise.race([this.conn.read(buf), timeout]);
      if (n === "timeout") return false;
      if (n === null) {
        this.closed = true;
        return false;
      }
      const merged = new Uint8Array(this.#pending.length + n);
      merged.set(this.#pending);
      merged.set(buf.subarray(0, n), this.#pending.length);
      this.#pending = merged;
      return true;
    } catch {
      this.closed = true;
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Exactly `n` bytes (fewer if the peer closed or `ms` passed). */
  async read(n: number, ms = 10000): Promise<string> {
    const deadline = Date.now() + ms;
    while (this.#pending.length < n && await this.#fill(deadline));
    const out = this.#pending.subarray(0, n);
    this.#pending = this.#pending.subarray(out.length);
    return latin1(out);
  }

  /** Everything until the server closes; `closed` tells whether it did within `ms`. */
  async readToEnd(ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    while (await this.#fill(deadline));
    const out = this.#pending;
    this.#pending = new Uint8Array(0);
    return latin1(out);
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

/** Sends `bytes` on a fresh connection; expects exactly `reply` and then a close. */
async function expectProtocolError(port: number, bytes: string, reply: string): Promise<void> {
  const c = await Raw.open(port);
  try {
    await c.write(bytes);
    assert.equal(await c.readToEnd(), reply);
    assert.ok(c.closed, "the server should close the connection after a protocol error");
  } finally {
    c.close();
  }
}

/** PING on a second connection: the server as a whole is still serving. */
async function stillServing(port: number, reply = "+PONG\r\n"): Promise<void> {
  const c = await Raw.open(port);
  try {
    await c.write("PING\r\n");
    assert.equal(await c.read(reply.length), reply);
  } finally {
    c.close();
  }
}

function command(...args: (string | Uint8Array)[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) {
    const b = typeof a === "string" ? enc.encode(a) : a;
    s += `$${b.length}\r\n${latin1(b)}\r\n`;
  }
  return s;
}

/** Resident memory of a process in bytes (Linux), undefined elsewhere. */
function rssOf(pid: number): number | undefined {
  try {
    const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("RESP protocol on an open server", opts, async (t) => {
  const server: RunningServer = await startReredis();
  const port = server.port;
  try {
    await t.step("a request split at every byte boundary parses the same", async () => {
      const msg = command("ECHO", "a\r\nb") + "PING\r\n" + 'ECHO "x y"\r\n' + command("PING");
      const want = "$4\r\na\r\nb\r\n+PONG\r\n$3\r\nx y\r\n+PONG\r\n";
      const c = await Raw.open(port);
      try {
        for (let i = 1; i < msg.length; i++) {
          await c.write(msg.slice(0, i));
          await sleep(1);
          await c.write(msg.slice(i));
          assert.equal(await c.read(want.length), want, `split at byte ${i}`);
        }
        for (const ch of msg) await c.write(ch); // one byte per write
        assert.equal(await c.read(want.length), want, "byte by byte");
      } finally {
        c.close();
      }
    });

    await t.step(
      "10 000 commands pipelined in one write all get their replies in order",
      async () => {
        const n = 10_000;
        let req = "";
        let want = "";
        for (let i = 0; i < n; i++) {
          req += command("ECHO", String(i));
          want += `$${String(i).length}\r\n${i}\r\n`;
        }
        const c = await Raw.open(port);
        try {
          const [, got] = await Promise.all([c.write(req), c.read(want.length, 30000)]);
          assert.equal(got.length, want.length);
          assert.ok(got === want, "replies differ from the expected sequence");
        } finally {
          c.close();
        }
      },
    );

    await t.step("inline commands work telnet-style with quotes and bare LF", async () => {
      const c = await Raw.open(port);
      try {
        await c.write("PING\n  ping   hi  \r\nECHO \"a\\tb\\x41\" \r\nECHO 'it\\'s'\n\r\n\n");
        const want = "+PONG\r\n$2\r\nhi\r\n$4\r\na\tbA\r\n$4\r\nit's\r\n";
        assert.equal(await c.read(want.length), want);
        await c.write("*0\r\n*-1\r\nPING\r\n"); // empty multibulks are skipped, as Redis
        assert.equal(await c.read(7), "+PONG\r\n");
      } finally {
        c.close();
      }
    });

    await t.step("keys and values with CR LF, NUL and invalid UTF-8 round-trip", async () => {
      const key = Uint8Array.from([0x6b, 0x0d, 0x0a, 0x00, 0xff, 0xc3, 0x28, 0x80]);
      const value = Uint8Array.from([0x00, 0x0d, 0x0a, 0x24, 0x33, 0x0d, 0x0a, 0xe2, 0x28, 0xa1]);
      const c = await Raw.open(port);
      try {
        await c.write(command("SET", key, value) + command("GET", key) + command("ECHO", value));
        const bulk = `$${value.length}\r\n${latin1(value)}\r\n`;
        const want = "+OK\r\n" + bulk + bulk;
        assert.equal(await c.read(want.length), want);
      } finally {
        c.close();
      }
    });

    const errors: [string, string, string][] = [
      ["a non-numeric multibulk length", "*abc\r\n", "invalid multibulk length"],
      ["a negative bulk length", "*1\r\n$-1\r\n", "invalid bulk length"],
      ["a bulk without '$'", "*1\r\nfoo\r\n", "expected '$', got 'f'"],
      ["a bulk over proto-max-bulk-len (600 MB)", "*1\r\n$600000000\r\n", "invalid bulk length"],
      [
        "a multibulk of 2 000 000 (our limit: 1 048 576)",
        "*2000000\r\n",
        "invalid multibulk length",
      ],
      [
        "an inline request over 64 KB without newline",
        "a".repeat(70_000),
        "too big inline request",
      ],
      ["a multibulk count over 64 KB", "*" + "1".repeat(70_000), "too big mbulk count string"],
      ["a bulk count over 64 KB", "*1\r\n$" + "1".repeat(70_000), "too big bulk count string"],
      ["unbalanced quotes", 'ECHO "abc\r\n', "unbalanced quotes in request"],
      ["a closing quote followed by a letter", "ECHO 'a'b\r\n", "unbalanced quotes in request"],
    ];
    for (const [what, bytes, text] of errors) {
      await t.step(`${what} is a protocol error that closes only that connection`, async () => {
        const other = await Raw.open(port);
        try {
          await expectProtocolError(
            port,
            "PING\r\n" + bytes,
            `+PONG\r\n-ERR Protocol error: ${text}\r\n`,
          );
          await other.write("PING\r\n");
          assert.equal(await other.read(7), "+PONG\r\n");
        } finally {
          other.close();
        }
      });
    }

    await t.step("an announced 400 MB bulk is not allocated before its bytes arrive", async () => {
      const before = rssOf(server.process.pid);
      const c = await Raw.open(port);
      try {
        await c.write("*2\r\n$4\r\nECHO\r\n$400000000\r\nonly a few bytes");
        await sleep(300);
        await stillServing(port);
        const after = rssOf(server.process.pid);
        if (before !== undefined && after !== undefined) {
          assert.ok(
            after - before < 100e6,
            `RSS grew by ${((after - before) / 1e6).toFixed(0)} MB`,
          );
        }
      } finally {
        c.close();
      }
    });

    await t.step("a client disconnecting mid-frame leaves the server serving", async () => {
      for (
        const partial of ["*2\r\n$4\r\nECHO\r\n$100\r\nabc", "*3\r\n$3\r\nSE", 'ECHO "unterminated']
      ) {
        const c = await Raw.open(port);
        await c.write(partial);
        c.close();
      }
      await sleep(50);
      await stillServing(port);
    });
  } finally {
    await server.stop();
  }
});

Deno.test("RESP protocol with requirepass", opts, async (t) => {
  const server = await startReredis(["--requirepass", "s3cret"]);
  const port = server.port;
  try {
    await t.step("commands before AUTH get NOAUTH; AUTH unlocks the connection", async () => {
      const c = await Raw.open(port);
      try {
        await c.write("PING\r\nAUTH wrong\r\nECHO x\r\nAUTH s3cret\r\nECHO x\r\nPING\r\n");
        const want = "-NOAUTH Authentication required.\r\n" +
          "-WRONGPASS invalid username-password pair or user is disabled.\r\n" +
          "-NOAUTH Authentication required.\r\n+OK\r\n$1\r\nx\r\n+PONG\r\n";
        assert.equal(await c.read(want.length), want);
      } finally {
        c.close();
      }
    });

    await t.step("HELLO before AUTH is refused; HELLO with AUTH authenticates", async () => {
      const c = await Raw.open(port);
      try {
        await c.write("HELLO 2\r\n");
        const refusal = "-NOAUTH HELLO must be called with the client already authenticated, " +
          "otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client " +
          "and select the RESP protocol version at the same time\r\n";
        assert.equal(await c.read(refusal.length), refusal);
        await c.write("HELLO 3 AUTH default s3cret\r\n");
        assert.equal(await c.read(4), "%7\r\n");
        await c.write("PING\r\n"); // the rest of the HELLO map, then PONG
        const rest = await c.read(200, 500);
        assert.ok(rest.endsWith("+PONG\r\n"), rest);
      } finally {
        c.close();
      }
    });

    await t.step("an unauthenticated multibulk over 10 arguments is a protocol error", async () => {
      await expectProtocolError(
        port,
        "*11\r\n",
        "-ERR Protocol error: unauthenticated multibulk length\r\n",
      );
      await stillServing(port, "-NOAUTH Authentication required.\r\n");
    });

    await t.step("an unauthenticated bulk over 16 KB is a protocol error", async () => {
      await expectProtocolError(
        port,
        "*1\r\n$16385\r\n",
        "-ERR Protocol error: unauthenticated bulk length\r\n",
      );
    });

    await t.step("after AUTH the unauthenticated limits no longer apply", async () => {
      const c = await Raw.open(port);
      try {
        const big = "x".repeat(20_000);
        await c.write("AUTH s3cret\r\n" + command("ECHO", big) + command("PING", ..."abcdefghijk"));
        const want = `+OK\r\n$${big.length}\r\n${big}\r\n` +
          "-ERR wrong number of arguments for 'ping' command\r\n";
        assert.equal(await c.read(want.length), want);
      } finally {
        c.close();
      }
    });
  } finally {
    await server.stop();
  }
});
