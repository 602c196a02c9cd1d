import { createAdapter } from "@socket.io/redis-adapter";
import { redisConnection } from "./farm-protocol.ts";

export interface FarmSocketAdapter {
  /** socket.io's `adapter` option (the server's `socketAdapter`). */
  adapter: ReturnType<typeof createAdapter>;
  /** Disconnects its Redis connections (after the socket.io server closed). */
  close(): void;
}

/**
 * socket.io's Redis adapter on the farm's Redis, for several coordinators serving one farm: what
 * one coordinator emits (a job's node events, progress, previews) reaches the clients connected
 * to every coordinator. Its channels are prefixed by the farm's queue name, so two farms on one
 * Redis stay apart. It uses ioredis, the client BullMQ brings, so the farm has one client library.
 */
export function farmSocketAdapter(
  redisUrl: string,
  queueName: string,
  log: (message: string) => void = () => undefined,
): FarmSocketAdapter {
  const publisher = redisConnection(redisUrl, log);
  const subscriber = redisConnection(redisUrl, log);
  return {
    adapter: createAdapter(publisher, subscriber, { key: `${queueName}:socket.io` }),
    close: () => {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
