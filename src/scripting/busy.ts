// Long scripts, as Redis's luaMaskCountHook: a count hook reads the clock; past
// busy-reply-threshold the server answers other clients -BUSY and the hook yields the script's
// coroutine every few ms so the event loop can read sockets (and SCRIPT KILL); a killed script
// gets an error on every line from then on. FUNCTION LOAD's library code gets 500 ms.

import type { Ctx } from "../server/client.ts";
import { M, MASK_COUNT, raise } from "./lua.ts";
import { engineOfState, pushErrorTable, type Run, type ScriptEngine } from "./engine.ts";

/** How often (in VM instructions) the hook checks the clock, as Redis. */
const HOOK_EVERY = 100_000;
const MASK_LINE = 4;
/** Once busy, check this often: the slice clock and SCRIPT KILL need the hook. */
const BUSY_HOOK_EVERY = 1_000;
/** While busy, the script runs this long between two turns of the event loop. */
const BUSY_SLICE_MS = 20;
/** A library's top level gets this long (Redis's LOAD_TIMEOUT_MS). */
const LOAD_TIMEOUT_MS = 500;

const hookPtr = M.addFunction((L: number) => {
  const eng = engineOfState(L);
  const run = eng?.current;
  if (!eng || !run) return;
  if (run.killed) {
    // Fire on every line from now on, so a pcall in the script cannot swallow the kill.
    M._lua_sethook(L, hookPtr, MASK_LINE, 0);
    pushErrorTable(L, "ERR Script killed by user with SCRIPT KILL...");
    raise(L);
  }
  const now = performance.now();
  if (!run.busy) {
    if (now - run.startedAt < run.threshold) return;
    enterBusy(eng, run);
  }
  if (run.canYield && now - run.sliceAt >= BUSY_SLICE_MS && M._lua_isyieldable(L)) {
    M._lua_yieldk(L, 0, 0, 0);
  }
}, "vii");

let loadDeadline = 0;
const loadHookPtr = M.addFunction((L: number) => {
  if (performance.now() < loadDeadline) return;
  M._lua_sethook(L, loadHookPtr, MASK_LINE, 0); // and on every line after: pcall can't hide it
  pushErrorTable(L, "ERR FUNCTION LOAD timeout");
  raise(L);
}, "vii");

/** Installs the clock hook on the coroutine a script runs in. */
export function watchRun(co: number): void {
  M._lua_sethook(co, hookPtr, MASK_COUNT, HOOK_EVERY);
}

/** Installs the load timeout on `L` (the caller removes the hook afterwards). */
export function guardLoad(L: number): void {
  loadDeadline = performance.now() + LOAD_TIMEOUT_MS;
  M._lua_sethook(L, loadHookPtr, MASK_COUNT, HOOK_EVERY);
}

/** The script passed busy-reply-threshold: other clients get -BUSY from now on. */
export function enterBusy(eng: ScriptEngine, run: Run): void {
  run.busy = true;
  M._lua_sethook(eng.co, hookPtr, MASK_COUNT, BUSY_HOOK_EVERY);
  eng.server.busyReply = run.isEval
    ? "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    : "BUSY Redis is busy running a function. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
  eng.server.log.warning(
    `Slow script detected: still in execution after ${
      Math.round(performance.now() - run.startedAt)
    } milliseconds. You can try killing the script using the ${
      run.isEval ? "SCRIPT KILL" : "FUNCTION KILL"
    } command. Script name is: ${run.isEval ? "f_" : ""}${run.name}.`,
  );
}

/** SCRIPT KILL (isEval) / FUNCTION KILL, with Redis's refusals. */
export function killScript(eng: ScriptEngine, ctx: Ctx, isEval: boolean): void {
  const run = eng.current;
  if (!run || !run.busy) {
    ctx.reply.error("NOTBUSY No scripts in execution right now.");
  } else if (run.dirty) {
    ctx.reply.error(
      "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
    );
  } else if (isEval && !run.isEval) {
    ctx.reply.error(
      "BUSY Redis is busy running a function. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
    );
  } else if (!isEval && run.isEval) {
    ctx.reply.error(
      "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
    );
  } else {
    run.killed = true;
    eng.server.log.warning("Lua script killed by user with SCRIPT KILL.");
    ctx.reply.ok();
  }
}
