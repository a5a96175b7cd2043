// Entry point: render the app; unless the server wants a login first, connect the WebSocket and
// start the INFO poller.

import { render } from "preact";
import { App } from "./app.tsx";
import { checkAuthNeeded, connect } from "./lib/conn.ts";
import { startServerPolling } from "./views/server_store.ts";
import "./style.css";

render(<App />, document.getElementById("app")!);
if (!(await checkAuthNeeded())) {
  connect();
  startServerPolling();
}
