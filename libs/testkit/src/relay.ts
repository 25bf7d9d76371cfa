import { connect, createServer, type Server } from "node:net";

/**
 * A loopback TCP relay to `127.0.0.1:targetPort`, listening on `listenPort`: point a service's
 * bootstrap address at a relay that is not started yet to simulate a dependency that is
 * unreachable when the service starts, without stopping the shared server.
 *
 * @example
 *   const port = await freePort();
 *   // start the service with KAFKA_BROKERS=127.0.0.1:${port}, then later:
 *   const relay = await startRelay(port, 9092);
 */
export function startRelay(listenPort: number, targetPort: number): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPort, "127.0.0.1", () => resolve(server));
  });
}
