import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The server under soak, in its own process. */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

export interface SoakServer {
  url: string;
  port: number;
  token: string;
  pid: number;
  /** Resident memory of the server process, bytes (Linux /proc; 0 elsewhere). */
  rss(): number;
  /** kill -9: no chance to flush or close anything. */
  killHard(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** The server's own event-loop delay so far (its process, apart from the load's), ms. */
  loopDelay(): LoopDelay;
  /** What the server wrote to stderr (its log), for a failed run's report. */
  log(): string;
}

/**
 * Starts `tools/soak/soak-server.ts` over `dataDir` (on `port`, 0 = any) and resolves once it
 * listens; rejects when it exits first or takes over `startMs`.
 */
export function startSoakServer(dataDir: string, port = 0, startMs = 60_000): Promise<SoakServer> {
  // INFIX_SOAK_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server under soak.
  const nodeArgs = (process.env.INFIX_SOAK_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
  const child = spawn(
    process.execPath,
    [...nodeArgs, "--import", "tsx", "tools/soak/soak-server.ts", dataDir, String(port)],
    {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the soak server did not start in ${startMs} ms:\n${stderr}`));
    }, startMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the soak server exited (${code}) before listening:\n${stderr}`));
    });
    const onData = (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = /SOAK-SERVER (\{.*\})\n/.exec(stdout);
      if (!line) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.stdout!.off("data", onData);
      const info = JSON.parse(line[1]) as { url: string; port: number; token: string };
      let delay: LoopDelay = { p50: 0, p99: 0, max: 0 };
      child.stdout!.on("data", (more: Buffer) => {
        const lines = [...more.toString().matchAll(/SOAK-LOOP (\{[^\n]*\})/g)];
        if (lines.length > 0) delay = JSON.parse(lines[lines.length - 1][1]) as LoopDelay;
      });
      resolve(
        wrap(
          child,
          info,
          () => stderr,
          () => delay,
        ),
      );
    };
    child.stdout!.on("data", onData);
  });
}

function wrap(
  child: ChildProcess,
  info: { url: string; port: number; token: string },
  log: () => string,
  loopDelay: () => LoopDelay,
): SoakServer {
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    ...info,
    pid: child.pid!,
    rss() {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
      } catch {
        return 0;
      }
    },
    async killHard() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const forced = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(forced);
    },
    log,
    loopDelay,
  };
}
