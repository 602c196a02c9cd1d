import "@xyflow/react/dist/style.css";
import "./styles.css";
import { createRoot } from "react-dom/client";
import { createApiClient, readPageToken } from "./api/client.ts";
import { connectSocket } from "./api/socket.ts";
import { App } from "./App.tsx";
import { AUTOSAVE_KEY, startAutosave } from "./state/autosave.ts";
import { Studio } from "./state/studio.ts";

const studio = new Studio(createApiClient({ token: readPageToken() }));
// Read before autosave restores (and then writes) it: no snapshot means a first visit.
const firstVisit = localStorage.getItem(AUTOSAVE_KEY) === null;
startAutosave(studio.store, localStorage);
studio.validation.start();
const socket = connectSocket();
studio.attachSocket(
  socket,
  (listen) => {
    socket.on("connect", () => {
      listen(true);
      // Started before the server was up (or it restarted with other nodes): fetch the catalog again.
      if (!studio.store.getState().catalog) void studio.init().then(() => firstVisit && studio.openWelcomeExample());
    });
    socket.on("disconnect", () => listen(false));
  },
  {
    watch: (jobIds) => void socket.emit("jobs:watch", jobIds),
    unwatch: (jobIds) => void socket.emit("jobs:unwatch", jobIds),
  },
);
void studio.init().then(() => {
  void studio.loadHistory();
  return firstVisit && studio.openWelcomeExample();
});
// Exposed for the e2e tests and the frame-time benchmark, which drive the studio from the page.
(window as unknown as { infixStudio: Studio }).infixStudio = studio;
createRoot(document.getElementById("root")!).render(<App studio={studio} />);
