import { type ServerType, serve } from "@hono/node-server";
import type { Logger } from "../log.ts";
import type { ServiceApp } from "./service-app.ts";

/**
 * Serves the app on host:port (Node or Bun) and wires SIGTERM/SIGINT to `shutdown`, which must
 * finish within `graceMs` or the process exits non-zero.
 */
export function startServer(options: {
  app: ServiceApp;
  host: string;
  port: number;
  log: Logger;
  shutdown: () => Promise<void>;
  graceMs?: number;
}): ServerType {
  const server = serve(
    { fetch: options.app.fetch, hostname: options.host, port: options.port },
    (info) => options.log.info({ host: options.host, port: info.port }, "listening"),
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    options.log.info({ signal }, "shutting down");
    options.app.drain();
    const graceMs = options.graceMs ?? 15_000;
    const timer = setTimeout(() => {
      options.log.error({ graceMs }, "shutdown timed out");
      process.exit(1);
    }, graceMs);
    try {
      // Requests already accepted finish against live dependencies before those are closed.
      if (!(await options.app.settled(graceMs / 2)))
        options.log.warn("requests still open after half the grace period; closing anyway");
      await options.shutdown();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      clearTimeout(timer);
      options.log.info("stopped");
      process.exit(0);
    } catch (error) {
      options.log.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  return server;
}
