// Function libraries (Redis 7 functions): FUNCTION LOAD compiles a `#!lua name=<lib>` library and
// runs its top level, which registers functions with redis.register_function. Libraries persist
// through the WAL: FUNCTION LOAD/DELETE/FLUSH/RESTORE are propagated, and a WAL compaction writes
// one FUNCTION LOAD per library at the head of the new base (see rewriteExtras).

import { crc32 } from "node:zlib";
import type { Server } from "../server/server.ts";
import { engineOf, type RegisteredFunction, type ScriptEngine } from "./engine.ts";
import { rewriteExtras } from "../wal/rewrite.ts";

export interface Library {
  name: string;
  code: Uint8Array;
  functions: Map<string, RegisteredFunction>;
}

const NAME_RE = /^[A-Za-z0-9_]+$/;
const dec = new TextDecoder();
const enc = new TextEncoder();
const registries = new WeakMap<Server, FunctionRegistry>();

export function functionsOf(server: Server): FunctionRegistry {
  let r = registries.get(server);
  if (!r) registries.set(server, r = new FunctionRegistry(engineOf(server)));
  return r;
}

// A new WAL base starts by loading every library (state outside the keyspace).
rewriteExtras.push((server) =>
  registries.has(server)
    ? [...functionsOf(server).libraries.values()].map((l) => [
      enc.encode("FUNCTION"),
      enc.encode("LOAD"),
      l.code,
    ])
    : []
);

export class FunctionRegistry {
  readonly libraries = new Map<string, Library>();
  /** Function name → its library (names are unique across libraries). */
  readonly functions = new Map<string, Library>();

  constructor(readonly engine: ScriptEngine) {}

  /** Compiles and registers a library; returns it, or an error text (without the ERR code). */
  load(code: Uint8Array, replace: boolean): Library | string {
    const lib = this.compile(code);
    if (typeof lib === "string") return lib;
    const old = this.libraries.get(lib.name);
    if (old && !replace) {
      this.#release(lib);
      return `Library '${lib.name}' already exists`;
    }
    for (const fname of lib.functions.keys()) {
      const owner = this.functions.get(fname);
      if (owner && owner !== old) {
        this.#release(lib);
        return `Function ${fname} already exists`;
      }
    }
    if (old) this.delete(old.name);
    this.#add(lib);
    return lib;
  }

  /** Parses the metadata line, compiles and runs the library; does not register it. */
  compile(code: Uint8Array): Library | string {
    if (code[0] !== 35 || code[1] !== 33) return "Missing library metadata";
    let nl = code.indexOf(10);
    if (nl < 0) nl = code.length;
    const parts = dec.decode(code.subarray(2, nl)).split(" ").filter((p) => p !== "");
    const engine = parts[0] ?? "";
    let name: string | undefined;
    for (const p of parts.slice(1)) {
      if (p.slice(0, 5).toLowerCase() === "name=") name = p.slice(5);
      else return `Invalid metadata value given: ${p}`;
    }
    if (name === undefined) return "Library name was not given";
    if (!NAME_RE.test(name)) {
      return "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
    }
    if (engine.toLowerCase() !== "lua") return `Engine '${engine}' not found`;
    const eng = this.engine;
    const ref = eng.compile(code, "@user_function", true);
    if (typeof ref === "string") return `Error compiling function: ${ref}`;
    const functions = new Map<string, RegisteredFunction>();
    eng.registering = functions;
    let err: string | undefined;
    try {
      err = eng.runLibrary(ref);
    } finally {
      eng.registering = undefined;
      eng.release(ref);
    }
    const lib = { name, code: code.slice(), functions };
    if (err !== undefined) {
      this.#release(lib);
      return `Error registering functions: ${err}`;
    }
    if (functions.size === 0) return "No functions registered";
    return lib;
  }

  #add(lib: Library): void {
    this.libraries.set(lib.name, lib);
    for (const f of lib.functions.keys()) this.functions.set(f, lib);
  }

  #release(lib: Library): void {
    for (const f of lib.functions.values()) this.engine.release(f.ref);
  }

  delete(name: string): boolean {
    const lib = this.libraries.get(name);
    if (!lib) return false;
    this.libraries.delete(name);
    for (const f of lib.functions.keys()) this.functions.delete(f);
    this.#release(lib);
    return true;
  }

  flush(): void {
    for (const name of [...this.libraries.keys()]) this.delete(name);
  }

  /** The function named `name` and its library. */
  find(name: string): RegisteredFunction | undefined {
    return this.functions.get(name)?.functions.get(name);
  }

  /** FUNCTION DUMP: per library 0xF5 + u32 length + code, then version byte and CRC-32. */
  dump(): Uint8Array {
    const parts: Uint8Array[] = [];
    let size = 5;
    for (const lib of this.libraries.values()) {
      const head = new Uint8Array(5);
      head[0] = 0xf5;
      new DataView(head.buffer).setUint32(1, lib.code.length, true);
      parts.push(head, lib.code);
      size += 5 + lib.code.length;
    }
    const out = new Uint8Array(size);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    out[o++] = DUMP_VERSION;
    new DataView(out.buffer).setUint32(o, crc32(out.subarray(0, o)), true);
    return out;
  }

  /** FUNCTION RESTORE; returns an error text or undefined. */
  restore(payload: Uint8Array, policy: "flush" | "append" | "replace"): string | undefined {
    const codes = parseDump(payload);
    if (codes === undefined) return "DUMP payload version or checksum are wrong";
    const libs: Library[] = [];
    const fail = (msg: string) => {
      for (const l of libs) this.#release(l);
      return msg;
    };
    for (const code of codes) {
      const lib = this.compile(code);
      if (typeof lib === "string") return fail(lib);
      libs.push(lib);
    }
    if (policy === "flush") this.flush();
    const replaced = new Set<string>();
    for (const lib of libs) {
      if (this.libraries.has(lib.name)) {
        if (policy !== "replace") return fail(`Library ${lib.name} already exists`);
        replaced.add(lib.name);
      }
    }
    for (const lib of libs) {
      for (const f of lib.functions.keys()) {
        const owner = this.functions.get(f);
        if (owner && !replaced.has(owner.name)) return fail(`Function ${f} already exists`);
      }
    }
    for (const name of replaced) this.delete(name);
    for (const lib of libs) this.#add(lib);
    return undefined;
  }
}

const DUMP_VERSION = 1;

function parseDump(p: Uint8Array): Uint8Array[] | undefined {
  if (p.length < 5) return undefined;
  const body = p.subarray(0, p.length - 4);
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  if (dv.getUint32(p.length - 4, true) !== crc32(body)) return undefined;
  if (body[body.length - 1] !== DUMP_VERSION) return undefined;
  const codes: Uint8Array[] = [];
  let o = 0;
  while (o < body.length - 1) {
    if (body[o] !== 0xf5 || o + 5 > body.length - 1) return undefined;
    const len = dv.getUint32(o + 1, true);
    if (o + 5 + len > body.length - 1) return undefined;
    codes.push(body.slice(o + 5, o + 5 + len));
    o += 5 + len;
  }
  return codes;
}
