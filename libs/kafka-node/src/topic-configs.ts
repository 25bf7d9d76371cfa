import { readFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { KafkaSecurity } from "./types.ts";

const DESCRIBE_CONFIGS = 32;
/** Version 1: the oldest Kafka 4 still answers (KIP-896 removed v0), and not yet "flexible". */
const VERSION = 1;
const TOPIC_RESOURCE = 2;

/**
 * Chosen configuration entries of topics through the Kafka protocol's DescribeConfigs request
 * (https://kafka.apache.org/protocol#The_Messages_DescribeConfigs, v1), sent to the first bootstrap
 * broker that answers. librdkafka has DescribeConfigs, but `@confluentinc/kafka-javascript` 1.10
 * does not bind it; this is the one request the console needs of it. Plain text and TLS only: with
 * SASL configured it answers null for every entry (no SASL handshake here).
 *
 * @example
 *   const configs = await describeTopicConfigs({ brokers, clientId: "api", topics: ["market.ticks"],
 *     names: ["retention.ms"], timeoutMs: 5000 });
 *   configs.get("market.ticks")?.get("retention.ms"); // "604800000"
 */
export async function describeTopicConfigs(options: {
  brokers: string[];
  clientId: string;
  security?: KafkaSecurity;
  timeoutMs: number;
  topics: string[];
  names: string[];
}): Promise<Map<string, Map<string, string | null>>> {
  const result = new Map<string, Map<string, string | null>>();
  for (const topic of options.topics)
    result.set(topic, new Map(options.names.map((name) => [name, null])));
  if (options.topics.length === 0 || options.security?.sasl) return result;
  let lastError: unknown;
  for (const broker of options.brokers) {
    try {
      const answer = parseResponse(await exchange(broker, request(options), options));
      for (const [topic, configs] of answer) {
        const held = result.get(topic);
        if (held) for (const [name, value] of configs) if (held.has(name)) held.set(name, value);
      }
      return result;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

function request(options: { clientId: string; topics: string[]; names: string[] }): Buffer {
  const w = writer();
  w.int16(DESCRIBE_CONFIGS);
  w.int16(VERSION);
  w.int32(1);
  w.string(options.clientId);
  w.int32(options.topics.length);
  for (const topic of options.topics) {
    w.int8(TOPIC_RESOURCE);
    w.string(topic);
    w.int32(options.names.length);
    for (const name of options.names) w.string(name);
  }
  w.int8(0); // include_synonyms
  const body = w.done();
  const framed = Buffer.alloc(4 + body.length);
  framed.writeInt32BE(body.length, 0);
  body.copy(framed, 4);
  return framed;
}

function parseResponse(frame: Buffer): Map<string, Map<string, string | null>> {
  const r = reader(frame);
  r.int32(); // correlation id
  r.int32(); // throttle time
  const result = new Map<string, Map<string, string | null>>();
  for (let i = r.int32(); i > 0; i -= 1) {
    const errorCode = r.int16();
    const errorMessage = r.string();
    r.int8();
    const name = r.string() ?? "";
    const configs = new Map<string, string | null>();
    for (let j = r.int32(); j > 0; j -= 1) {
      const key = r.string() ?? "";
      const value = r.string();
      r.int8(); // read_only
      r.int8(); // config_source
      r.int8(); // is_sensitive
      for (let k = r.int32(); k > 0; k -= 1) {
        r.string();
        r.string();
        r.int8();
      }
      configs.set(key, value);
    }
    if (errorCode !== 0 && errorCode !== 3)
      throw new Error(`DescribeConfigs of ${name}: error ${errorCode} ${errorMessage ?? ""}`);
    result.set(name, configs);
  }
  return result;
}

/** Sends one request to `broker` and resolves the response frame (without its size prefix). */
function exchange(
  broker: string,
  frame: Buffer,
  options: { security?: KafkaSecurity; timeoutMs: number },
): Promise<Buffer> {
  const colon = broker.lastIndexOf(":");
  const host = broker.slice(0, colon).replace(/^\[|\]$/g, "");
  const port = Number(broker.slice(colon + 1));
  const tls = options.security?.protocol === "SSL";
  return new Promise((resolve, reject) => {
    const socket = tls
      ? tlsConnect({
          host,
          port,
          servername: host,
          ...(options.security?.caFile ? { ca: readFileSync(options.security.caFile) } : {}),
        })
      : tcpConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`DescribeConfigs: ${broker} did not answer in ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    let received = Buffer.alloc(0);
    socket.once(tls ? "secureConnect" : "connect", () => socket.write(frame));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
        clearTimeout(timer);
        socket.end();
        resolve(received.subarray(4, 4 + received.readInt32BE(0)));
      }
    });
    socket.once("error", (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function writer() {
  const parts: Buffer[] = [];
  const fixed = (size: number, write: (b: Buffer) => void) => {
    const b = Buffer.alloc(size);
    write(b);
    parts.push(b);
  };
  return {
    int8: (v: number) => fixed(1, (b) => b.writeInt8(v)),
    int16: (v: number) => fixed(2, (b) => b.writeInt16BE(v)),
    int32: (v: number) => fixed(4, (b) => b.writeInt32BE(v)),
    string(v: string) {
      const bytes = Buffer.from(v, "utf8");
      fixed(2, (b) => b.writeInt16BE(bytes.length));
      parts.push(bytes);
    },
    done: () => Buffer.concat(parts),
  };
}

function reader(b: Buffer) {
  let at = 0;
  const take = (size: number) => {
    if (at + size > b.length) throw new Error("DescribeConfigs: truncated response");
    const start = at;
    at += size;
    return start;
  };
  return {
    int8: () => b.readInt8(take(1)),
    int16: () => b.readInt16BE(take(2)),
    int32: () => b.readInt32BE(take(4)),
    string(): string | null {
      const length = b.readInt16BE(take(2));
      if (length < 0) return null;
      const start = take(length);
      return b.toString("utf8", start, start + length);
    },
  };
}
