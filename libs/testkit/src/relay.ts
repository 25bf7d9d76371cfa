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
 * Kafka clients only bootstrap through a plain relay: the broker's metadata sends them on to the
 * address it advertises. Use {@link startKafkaRelay} to cut a Kafka connection mid-stream.
 *
 * @example
 *   const port = await freePort();
 *   // start the service with SCHEMA_REGISTRY_URL=http://127.0.0.1:${port}, then:
 *   const relay = await startRelay(port, 8081);
 *   await relay.close(); // outage
 */
export function startRelay(
  listenPort: number,
  targetPort: number,
  options: {
    /** Holds every answer from the target this long before passing it on: a slow server. */
    answerDelayMs?: number;
  } = {},
): Promise<Relay> {
  const delay = options.answerDelayMs ?? 0;
  return listen(listenPort, (client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    client.pipe(upstream);
    if (delay <= 0) upstream.pipe(client);
    else {
      // Chunks keep their order: each waits the same time from when it arrived.
      upstream.on("data", (chunk: Buffer) => {
        setTimeout(() => {
          if (!client.destroyed) client.write(chunk);
        }, delay);
      });
    }
    return upstream;
  });
}

/**
 * A loopback relay to one Kafka broker that also rewrites the broker's own address in Metadata,
 * FindCoordinator and DescribeCluster answers to the relay's, so every connection a client makes
 * (bootstrap, partition leader, group coordinator) goes through it. Closing it is a Kafka outage
 * for the clients behind it only; the broker and every other client carry on. Start it again on
 * the same port to end the outage.
 *
 * The broker must advertise `127.0.0.1:targetPort` (the local stack does): the relay swaps only the
 * port, which keeps every length in the Kafka frame unchanged.
 *
 * @example
 *   const port = await freePort();
 *   let kafka = await startKafkaRelay(port, 9092);
 *   // start services with KAFKA_BROKERS=127.0.0.1:${port}
 *   await kafka.close(); // outage: producer and consumer lose Kafka
 *   kafka = await startKafkaRelay(port, 9092); // Kafka is back
 */
export function startKafkaRelay(listenPort: number, targetPort: number): Promise<Relay> {
  const advertised = brokerAddress("127.0.0.1", targetPort);
  const relayed = brokerAddress("127.0.0.1", listenPort);
  return listen(listenPort, (client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    const rewritten = new Map<number, boolean>();
    readFrames(client, (frame) => {
      // Request header: api_key INT16, api_version INT16, correlation_id INT32.
      if (frame.length >= 8)
        rewritten.set(frame.readInt32BE(4), ADDRESS_APIS.has(frame.readInt16BE(0)));
      upstream.write(frameWithSize(frame));
    });
    readFrames(upstream, (frame) => {
      const correlationId = frame.length >= 4 ? frame.readInt32BE(0) : -1;
      if (rewritten.get(correlationId)) {
        for (let at = frame.indexOf(advertised); at >= 0; at = frame.indexOf(advertised, at + 1))
          relayed.copy(frame, at);
      }
      rewritten.delete(correlationId);
      client.write(frameWithSize(frame));
    });
    return upstream;
  });
}

/** Metadata, FindCoordinator and DescribeCluster: the responses that name broker addresses. */
const ADDRESS_APIS = new Set([3, 10, 60]);

/** A host string as it appears in a Kafka response, followed by its INT32 port. */
function brokerAddress(host: string, port: number): Buffer {
  const address = Buffer.alloc(host.length + 4);
  address.write(host, "latin1");
  address.writeInt32BE(port, host.length);
  return address;
}

function frameWithSize(frame: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length);
  return Buffer.concat([size, frame]);
}

/** Calls `onFrame` with each size-prefixed Kafka frame (without its size) read from `socket`. */
function readFrames(socket: Socket, onFrame: (frame: Buffer) => void) {
  let chunks: Buffer[] = [];
  let buffered = 0;
  socket.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    buffered += chunk.length;
    const head = chunks[0] as Buffer;
    if (head.length >= 4 && buffered < 4 + head.readInt32BE(0)) return; // a large frame, still arriving
    let data = chunks.length === 1 ? head : Buffer.concat(chunks, buffered);
    while (data.length >= 4 && data.length >= 4 + data.readInt32BE(0)) {
      const end = 4 + data.readInt32BE(0);
      onFrame(Buffer.from(data.subarray(4, end)));
      data = data.subarray(end);
    }
    chunks = data.length > 0 ? [data] : [];
    buffered = data.length;
  });
}

/** Accepts connections on loopback; `relay` connects each client to its upstream. */
function listen(listenPort: number, relay: (client: Socket) => Socket): Promise<Relay> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = relay(client);
    sockets.add(client);
    sockets.add(upstream);
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
