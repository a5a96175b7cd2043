// The one write path. Every change to the keyspace is reported here as (a) the keys it touched
// with their keyspace-event names and (b) the command in deterministic form. One record per
// execution unit (a command, a MULTI/EXEC, a script) goes to every subscriber: the WAL, the change
// feed, keyspace notifications and replication all listen here and nowhere else.

import { utf8 } from "../util/bytes.ts";

/** A command as it is propagated: absolute times, results instead of random choices. */
export interface PropagatedCommand {
  db: number;
  argv: Uint8Array[];
}

/** One touched key, named as Redis's keyspace notifications name it. */
export interface KeyEvent {
  db: number;
  /** The key as a binary string (one char per byte). */
  key: string;
  /** Event name: "set", "del", "expired", "lpush", "rename_from", … */
  event: string;
  /** Notification class letter: g $ l s h z x e t n m d. */
  cls: string;
}

/**
 * What one execution unit changed. `commands` is what the WAL and replicas replay; `events` is
 * what the change feed and keyspace notifications publish. Arguments may be views into a
 * connection's read buffer: subscribers must consume them synchronously (encode or copy).
 */
export interface ChangeRecord {
  commands: PropagatedCommand[];
  events: KeyEvent[];
  /** Wall-clock ms when the unit ran. */
  ts: number;
  /** Wrap commands in MULTI/EXEC when replayed (transactions, scripts). */
  atomic: boolean;
}

export type ChangeListener = (rec: ChangeRecord) => void;

export type Arg = string | Uint8Array;

export const toArgv = (argv: Arg[]): Uint8Array[] =>
  argv.map((a) => typeof a === "string" ? utf8(a) : a);

export class WritePath {
  #listeners: ChangeListener[] = [];
  #commands: PropagatedCommand[] = [];
  #events: KeyEvent[] = [];
  #depth = 0;
  #atomic = false;
  /** Changes signalled by the running command (excludes expirations it triggered). */
  #cmdChanges = 0;
  #cmdExplicit = false;
  /** Total changes since start (Redis's server.dirty). */
  dirty = 0;
  /** While true (WAL replay), records are dropped: what is being loaded is already logged. */
  muted = false;

  subscribe(fn: ChangeListener): () => void {
    this.#listeners.push(fn);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== fn);
    };
  }

  /** Nesting depth of open units (0 between commands). */
  get depth(): number {
    return this.#depth;
  }

  get hasListeners(): boolean {
    return this.#listeners.length > 0;
  }

  /** Opens an execution unit; units nest (EXEC and scripts run commands inside one). */
  begin(atomic = false): void {
    if (this.#depth++ === 0) this.#atomic = atomic;
    else if (atomic) this.#atomic = true;
  }

  /** Closes a unit; the outermost close emits one record if anything changed. */
  end(): void {
    if (--this.#depth > 0) return;
    if (this.#commands.length === 0 && this.#events.length === 0) return;
    if (this.muted) { // replay: nobody is told, so no record is built
      this.#commands.length = 0;
      this.#events.length = 0;
      this.#atomic = false;
      return;
    }
    const rec: ChangeRecord = {
      commands: this.#commands,
      events: this.#events,
      ts: Date.now(),
      atomic: this.#atomic && this.#commands.length > 1,
    };
    this.#commands = [];
    this.#events = [];
    this.#atomic = false;
    for (const l of this.#listeners) l(rec);
  }

  /** Marks the start of one command inside the current unit. */
  commandStart(): void {
    this.#cmdChanges = 0;
    this.#cmdExplicit = false;
  }

  /** Ends one command: a write that changed something and named no other form is propagated as sent. */
  commandEnd(db: number, argv: Uint8Array[]): void {
    if (this.#cmdChanges > 0 && !this.#cmdExplicit) this.#commands.push({ db, argv });
  }

  /** Signals that a command modified `key` (one keyspace event). */
  changed(db: number, key: string, event: string, cls: string): void {
    this.#cmdChanges++;
    this.dirty++;
    this.#events.push({ db, key, event, cls });
  }

  /** An event with no data change of its own (e.g. "expire" on an already-expired set). */
  event(db: number, key: string, event: string, cls: string): void {
    this.#events.push({ db, key, event, cls });
  }

  /** Replaces the running command's propagated form; call several times for several commands. */
  propagate(db: number, argv: Arg[]): void {
    this.#cmdExplicit = true;
    this.#commands.push({ db, argv: toArgv(argv) });
  }

  /** A deletion the server made on its own (expiry, eviction): DEL plus its event. */
  deletion(db: number, key: string, event: "expired" | "evicted", keyBytes: Uint8Array): void {
    this.dirty++;
    const standalone = this.#depth === 0;
    if (standalone) this.begin();
    this.#commands.push({ db, argv: [DEL, keyBytes] });
    this.#events.push({ db, key, event, cls: event === "expired" ? "x" : "e" });
    if (standalone) this.end();
  }
}

const DEL = utf8("DEL");
