// Every command module's definitions, in one list the command table is built from.

import type { CommandDef } from "./table.ts";
import { connectionCommands } from "./connection.ts";
import { keysCommands } from "./keys.ts";
import { stringCommands } from "./strings.ts";
import { transactionCommands } from "./transactions.ts";
import { blockingCommands } from "./blocking_cmds.ts";
import { persistenceCommands } from "./persistence.ts";
import { zsetCommands } from "./zsets.ts";
import { geoCommands } from "./geo.ts";
import { hashCommands } from "./hashes.ts";
import { setCommands } from "./sets.ts";
import { listCommands } from "./lists.ts";
import { listBlockingCommands } from "./lists_blocking.ts";
import { bitmapCommands } from "./bitmaps.ts";
import { bitfieldCommands } from "./bitfield.ts";
import { hyperloglogCommands } from "./hyperloglog.ts";
import { pubsubCommands } from "./pubsub.ts";
import { streamCommands } from "./streams.ts";
import { clusterCommands } from "./cluster.ts";
import { scriptingCommands } from "./scripting.ts";
import { functionCommands } from "./functions.ts";
import { sortCommands } from "./sort.ts";
import { serverCommands } from "./server_cmds.ts";
import { commandCommands } from "./command_cmd.ts";
import { configCommands } from "./config_cmd.ts";
import { clientCommands } from "./client_cmd.ts";
import { debugCommands } from "./debug_cmd.ts";
import { memoryCommands } from "./memory_cmd.ts";
import { replicationCommands } from "./replication_cmds.ts";
import { monitorCommands } from "./monitor.ts";
import { slowlogCommands } from "./slowlog.ts";
import { latencyCommands } from "./latency.ts";

export const ALL_COMMANDS: CommandDef[] = [
  ...connectionCommands,
  ...keysCommands,
  ...stringCommands,
  ...transactionCommands,
  ...blockingCommands,
  ...persistenceCommands,
  ...zsetCommands,
  ...geoCommands,
  ...hashCommands,
  ...setCommands,
  ...listCommands,
  ...listBlockingCommands,
  ...bitmapCommands,
  ...bitfieldCommands,
  ...hyperloglogCommands,
  ...pubsubCommands,
  ...streamCommands,
  ...clusterCommands,
  ...scriptingCommands,
  ...functionCommands,
  ...sortCommands,
  ...serverCommands,
  ...commandCommands,
  ...configCommands,
  ...clientCommands,
  ...debugCommands,
  ...memoryCommands,
  ...replicationCommands,
  ...monitorCommands,
  ...slowlogCommands,
  ...latencyCommands,
];
