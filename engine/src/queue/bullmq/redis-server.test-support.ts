import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/**
 * A real Debian `redis-server` for the farm's tests: a free loopback port, a password, AOF on in
 * a temp folder (so a restart keeps the jobs), stopped and deleted after. No mock: the farm's
 * tests are about what Redis and BullMQ really do when a worker or Redis dies.
 */
export interface TestRedis {
  url: string;
  port: number;
  password: string;
  /** Stops Redis the hard way (SIGKILL: no final save beyond what AOF already holds). */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder (AOF replayed). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const INSTALL =
  "redis-server is missing: install it (`apt-get install redis-server`); the farm's tests need a real Redis";

export async function startTestRedis(): Promise<TestRedis> {
  if (spawnSync("redis-server", ["--version"]).error) throw new Error(INSTALL);
  const dir = mkdtempSync(join(tmpdir(), "infix-redis-"));
  const port = await freePort();
  const password = `test-${process.pid}-${port}`;
  const url = `redis://:${password}@127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--requirepass",
        password,
      ],
      { stdio: "ignore" },
    );
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => undefined);
    for (;;) {
      try {
        await client.connect();
        if ((await client.ping()) === "PONG") break;
      } catch {
        if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    client.disconnect();
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await exited;
  };
  await launch();
  return {
    url,
    port,
    password,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
