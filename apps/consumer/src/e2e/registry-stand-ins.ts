/**
 * Registry failures for end-to-end tests, in front of the stack's real Schema Registry so the
 * shared server is never disturbed: a TCP relay that can be switched to "hang" (accepts, never
 * answers), and an HTTP stand-in that forwards to the registry except for chosen schema ids.
 */
import { connect, createServer, type Socket } from "node:net";
import { topicNamed } from "@repo/contracts";
import { stackEnv } from "@repo/testkit";
import type { Schema } from "avsc";

const registryUrl = new URL(stackEnv.SCHEMA_REGISTRY_URL);

export interface SwitchableRelay {
  url: string;
  /** "pass" relays to the registry; "hang" cuts relayed connections and leaves new ones unanswered. */
  set(mode: "pass" | "hang"): void;
  /** Connections open on the relay now, and the most at once since the last `resetPeak()`. */
  open(): number;
  peak(): number;
  resetPeak(): void;
  close(): Promise<void>;
}

/**
 * A registry that accepts connections and never answers, or the real one, at the flip of a switch.
 *
 * @example
 *   const relay = await startSwitchableRelay("hang");
 *   // start services with SCHEMA_REGISTRY_URL=relay.url; later:
 *   relay.set("pass");
 */
export async function startSwitchableRelay(initial: "pass" | "hang"): Promise<SwitchableRelay> {
  let mode = initial;
  let peak = 0;
  const clients = new Set<Socket>();
  const relayed = new Map<Socket, Socket>();
  const server = createServer((client) => {
    clients.add(client);
    peak = Math.max(peak, clients.size);
    client.on("error", () => {});
    client.on("close", () => {
      clients.delete(client);
      relayed.get(client)?.destroy();
      relayed.delete(client);
    });
    if (mode === "hang") {
      client.resume();
      return;
    }
    const upstream = connect(Number(registryUrl.port), registryUrl.hostname);
    upstream.on("error", () => client.destroy());
    relayed.set(client, upstream);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    set(next) {
      mode = next;
      if (next === "hang") for (const client of relayed.keys()) client.destroy();
    },
    open: () => clients.size,
    peak: () => peak,
    resetPeak() {
      peak = clients.size;
    },
    async close() {
      for (const client of clients) client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface StandInRegistry {
  url: string;
  /** How often `GET /schemas/ids/<id>` was asked for each overridden id. */
  asked(schemaId: number): number;
  stop(): void;
}

/**
 * Forwards every request to the stack's registry, except `GET /schemas/ids/<id>` for the ids in
 * `failing`, which it answers with that HTTP status and the error body the Confluent Schema
 * Registry API reference documents (docs.confluent.io, "Schema Registry API Reference", Errors:
 * `{"error_code": 50001, "message": "Error in the backend datastore"}` for a 500).
 *
 * @example
 *   const registry = startStandInRegistry(new Map([[id, 500]]));
 *   // start a consumer with SCHEMA_REGISTRY_URL=registry.url
 */
export function startStandInRegistry(failing: Map<number, number>): StandInRegistry {
  const asked = new Map<number, number>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const id = /^\/schemas\/ids\/(\d+)$/.exec(url.pathname)?.[1];
      const status = id === undefined ? undefined : failing.get(Number(id));
      if (status !== undefined) {
        asked.set(Number(id), (asked.get(Number(id)) ?? 0) + 1);
        return Response.json(
          { error_code: status * 100 + 1, message: "Error in the backend datastore" },
          { status, headers: { "content-type": "application/vnd.schemaregistry.v1+json" } },
        );
      }
      const upstream = await fetch(`${registryUrl.origin}${url.pathname}${url.search}`, {
        method: request.method,
        headers: request.headers,
        body: request.method === "GET" || request.method === "HEAD" ? undefined : request.body,
      });
      return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    asked: (schemaId) => asked.get(schemaId) ?? 0,
    stop: () => server.stop(true),
  };
}

/**
 * Registers `schema` under `subject` in the stack's registry and returns its id.
 *
 * @example
 *   const id = await registerSchema(`${prefix}prim-value`, '"string"');
 */
export async function registerSchema(subject: string, schema: string): Promise<number> {
  const response = await fetch(
    `${stackEnv.SCHEMA_REGISTRY_URL}/subjects/${encodeURIComponent(subject)}/versions`,
    {
      method: "POST",
      headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
      body: JSON.stringify({ schema }),
      signal: AbortSignal.timeout(10_000),
    },
  );
  const body = (await response.json()) as { id?: number; message?: string };
  if (!response.ok || typeof body.id !== "number")
    throw new Error(`registering ${subject}: ${response.status} ${JSON.stringify(body)}`);
  return body.id;
}

/**
 * The Tick schema with one more optional field, named after `tag`: a distinct schema (its own id)
 * that the consumer reads as a Tick, the writer field being ignored.
 */
export function tickVariant(tag: string): Schema {
  const spec = topicNamed("market.ticks").value;
  if (spec === "bytes") throw new Error("market.ticks must carry an Avro value");
  const schema = spec.schema as { fields: unknown[] };
  return {
    ...schema,
    fields: [
      ...schema.fields,
      {
        name: `note_${tag.replace(/[^A-Za-z0-9_]/g, "_")}`,
        type: ["null", "string"],
        default: null,
      },
    ],
  } as Schema;
}
