// Entry point: connect the WebSocket, start the INFO poller, render the app.

import { render } from "preact";
import { App } from "./app.tsx";
import { connect } from "./lib/conn.ts";
import { startServerPolling } from "./views/server_store.ts";
import "./style.css";

connect();
startServerPolling();
render(<App />, document.getElementById("app")!);
