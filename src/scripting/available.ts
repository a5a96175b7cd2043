// The Lua VM, loaded with a dynamic import: a build that cannot carry wasmoon's wasm file
// (`deno bundle`) still starts, and its scripting commands answer with an error instead.

import type { Server } from "../server/server.ts";
import type { ScriptEngine } from "./engine.ts";
import type { FunctionRegistry } from "./functions.ts";

interface Scripting {
  engineOf(server: Server): ScriptEngine;
  functionsOf(server: Server): FunctionRegistry;
  sha1hex(b: Uint8Array): string;
}

/** The scripting modules, or the error text scripting commands reply with. */
export const scripting: Scripting | string = await Promise.all([
  import("./engine.ts"),
  import("./functions.ts"),
]).then(
  ([e, f]) => ({ engineOf: e.engineOf, functionsOf: f.functionsOf, sha1hex: e.sha1hex }),
  (e) => `ERR scripting is not available in this build (${e instanceof Error ? e.message : e})`,
);
