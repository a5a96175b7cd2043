// Reads Redis's own command metadata (COMMAND INFO + COMMAND DOCS, RESP3) from a running
// redis-server and writes src/commands/redis_commands.json, the data our command table is built
// from. Usage: deno task gen:commands [port]   (a redis-server 7.0 must listen on that port)

import { RespClient } from "../src/resp/client.ts";
import type { RespValue } from "../src/resp/decoder.ts";

const port = Number(Deno.args[0] ?? 6379);
const c = await RespClient.connect(port);
await c.call("HELLO", "3");

type Entry = {
  name: string;
  arity: number;
  flags: string[];
  firstKey: number;
  lastKey: number;
  step: number;
  acl: string[];
  tips: string[];
  keySpecs: RespValue[];
  docs: RespValue;
  subcommands?: Entry[];
};

const str = (v: RespValue): string =>
  typeof v === "string" ? v : v && typeof v === "object" && "+" in v ? v["+"] : String(v);
const list = (v: RespValue): RespValue[] =>
  Array.isArray(v) ? v : v && typeof v === "object" && "~" in v ? v["~"] : [];

async function docsOf(name: string): Promise<RespValue> {
  const r = await c.call("COMMAND", "DOCS", ...name.split("|"));
  const kv = (r as { "%": RespValue[] })["%"];
  return kv[1];
}

async function entry(info: RespValue[]): Promise<Entry> {
  const name = str(info[0]);
  const docs = await docsOf(name);
  const e: Entry = {
    name,
    arity: info[1] as number,
    flags: list(info[2]).map(str),
    firstKey: info[3] as number,
    lastKey: info[4] as number,
    step: info[5] as number,
    acl: list(info[6]).map(str),
    tips: list(info[7]).map(str),
    keySpecs: list(info[8]),
    docs,
  };
  const subs = list(info[9]);
  if (subs.length) {
    e.subcommands = [];
    for (const s of subs) e.subcommands.push(await entry(s as RespValue[]));
    e.subcommands.sort((a, b) => a.name < b.name ? -1 : 1);
  }
  return e;
}

const all = list((await c.call("COMMAND")) ?? []) as RespValue[][];
const out: Entry[] = [];
for (const info of all) out.push(await entry(info));
out.sort((a, b) => a.name < b.name ? -1 : 1);
const server = await c.call("INFO", "server");
const text = server && typeof server === "object" && "=" in server ? server["="] : String(server);
const version = /redis_version:(\S+)/.exec(text)?.[1];
const file = new URL("../src/commands/redis_commands.json", import.meta.url);
await Deno.writeTextFile(
  file,
  JSON.stringify({ redisVersion: version, commands: out }) + "\n",
);
console.log(`wrote ${out.length} commands from Redis ${version} to ${file.pathname}`);
c.close();
