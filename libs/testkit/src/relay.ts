import { connect, createServer, type Socket } from "node:net";

export interface Relay {
  /** Stops listening and cuts every open connection: the target looks gone to its clients. */
  close(): Promise<void>;
}

/**
 * A loopback TCP relay to `127.0.0.1:targetPort`, listening on `listenPort`. Point a service at a
 * relay that is not started yet (or close it later) to simulate a dependency that is unreachable,
 * without stopping the shared server other tests use.
 *
 * @example
 *   const port = await freePort();
 *   // start the service with SCHEMA_REGISTRY_URL=http://127.0.0.1:${port}, then:
 *   const relay = await startRelay(port, 8081);
 *   await relay.close(); // outage
 */
export function startRelay(listenPort: number, targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on("error", close);
      socket.on("close", close);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPort, "127.0.0.1", () =>
      resolve({
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            sockets.clear();
            server.close(() => done());
          }),
      }),
    );
  });
}
