import { readFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { AccessError } from "@repo/platform/errors";
import type { RegistryAccess } from "@repo/platform/security";
import {
  RegistryAccessError,
  RegistryNotFoundError,
  RegistryUnavailableError,
  RegistryUrlError,
} from "./errors.ts";

/** A registry's answer: the HTTP status and the body as text. */
export interface RegistryReply {
  status: number;
  text: string;
}

/** Limits of the connection to the registry. */
export interface ConnectionLimits {
  /** How long opening a TCP (and TLS) connection may take (default 2 s). */
  connectTimeoutMs?: number;
  /** Sockets open to the registry at once; further requests queue within their timeout (default 16). */
  maxSockets?: number;
}

/** How this process reaches the registry: basic auth and the CA of an https:// registry. */
export interface RegistryConnection {
  /** The base URL, without a trailing slash. */
  url: string;
  /**
   * One Confluent REST call (`path` from the base URL, `body` sent as JSON). It fails within
   * `timeoutMs` in all (queueing for a socket, connecting, the answer) and within the connection's
   * connect timeout for the connection itself, as a {@link RegistryUnavailableError} naming the
   * URL; the socket of a request that timed out is destroyed. A refused credential (401/403) or
   * certificate is an {@link AccessError} naming the setting; any other status is the caller's to
   * read.
   */
  request(
    method: string,
    path: string,
    options: { body?: unknown; timeoutMs: number },
  ): Promise<RegistryReply>;
  /**
   * `GET path` read as the Confluent REST API answers it: the parsed JSON of a 2xx; the registry's
   * own 404 (error code 404xx) as a {@link RegistryNotFoundError}; a 404 without it, or a body that
   * is not JSON, as a {@link RegistryUrlError} (the URL does not lead to a registry); any other
   * status (5xx, 408, 429, …) as a retriable {@link RegistryUnavailableError} with the status.
   */
  read(path: string, timeoutMs: number): Promise<unknown>;
  /** The status of `GET <url>/subjects`, with the refusals of {@link RegistryConnection.request}. */
  probe(timeoutMs: number): Promise<number>;
}

const TLS_REFUSAL = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/;
const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

/**
 * The credentials, trust and limits of a registry from `registryAccess(config)`. Requests never
 * follow a redirect (node:http does not), so the credentials go to the configured registry only.
 *
 * @example
 *   const connection = registryConnection({ url: "https://registry:8081", basicAuth, caFile });
 *   await connection.probe(2_000); // 200
 *   await connection.read("/schemas/ids/1", 5_000); // { schema: "…" }
 */
export function registryConnection(
  access: RegistryAccess,
  limits: ConnectionLimits = {},
): RegistryConnection {
  const base = access.url.replace(/\/+$/, "");
  const https = new URL(base).protocol === "https:";
  const ca = access.caFile ? readFileSync(access.caFile) : undefined;
  const maxSockets = limits.maxSockets ?? 16;
  const connectTimeoutMs = limits.connectTimeoutMs ?? 2_000;
  const agent = https
    ? new HttpsAgent({ keepAlive: true, maxSockets, ca })
    : new HttpAgent({ keepAlive: true, maxSockets });
  const authorization = access.basicAuth
    ? `Basic ${Buffer.from(`${access.basicAuth.username}:${access.basicAuth.password}`).toString("base64")}`
    : undefined;
  const who = access.basicAuth
    ? `SCHEMA_REGISTRY_USERNAME (${access.basicAuth.username}) and SCHEMA_REGISTRY_PASSWORD`
    : "SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD (unset)";

  const request: RegistryConnection["request"] = (method, path, { body, timeoutMs }) =>
    new Promise((resolve, reject) => {
      const url = new URL(`${base}${path}`);
      const what = `${method} ${base}${url.pathname}`;
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const send = https ? httpsRequest : httpRequest;
      const timers: NodeJS.Timeout[] = [];
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        for (const timer of timers) clearTimeout(timer);
        outcome();
      };
      const fail = (error: Error) => {
        settle(() => reject(error));
        outgoing.destroy();
      };
      const outgoing = send(
        url,
        {
          method,
          agent,
          ca,
          headers: {
            accept: CONTENT_TYPE,
            ...(payload === undefined ? {} : { "content-type": CONTENT_TYPE }),
            ...(authorization ? { authorization } : {}),
          },
        },
        (response) => {
          const status = response.statusCode ?? 0;
          if (status === 401 || status === 403) {
            response.resume();
            settle(() =>
              reject(new RegistryAccessError(status, `HTTP ${status} for ${what}; check ${who}`)),
            );
            return;
          }
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () =>
            settle(() => resolve({ status, text: Buffer.concat(chunks).toString("utf8") })),
          );
          response.on("error", (error) => fail(new RegistryUnavailableError(what, error)));
          response.on("aborted", () =>
            fail(new RegistryUnavailableError(what, new Error("answer cut off"))),
          );
        },
      );
      timers.push(
        setTimeout(
          () =>
            fail(new RegistryUnavailableError(what, new Error(`no answer within ${timeoutMs} ms`))),
          timeoutMs,
        ),
      );
      outgoing.on("socket", (socket) => {
        if (!socket.connecting) return;
        const connecting = setTimeout(
          () =>
            fail(
              new RegistryUnavailableError(
                what,
                new Error(`no connection within ${connectTimeoutMs} ms`),
              ),
            ),
          connectTimeoutMs,
        );
        timers.push(connecting);
        socket.once("connect", () => clearTimeout(connecting));
      });
      outgoing.on("error", (error: NodeJS.ErrnoException) => {
        if (typeof error.code === "string" && TLS_REFUSAL.test(error.code))
          fail(
            new AccessError(
              "schema registry",
              `${error.code}: ${error.message}; check SCHEMA_REGISTRY_CA_FILE and that the registry's certificate names its host`,
            ),
          );
        else fail(new RegistryUnavailableError(what, error));
      });
      outgoing.end(payload);
    });

  const read: RegistryConnection["read"] = async (path, timeoutMs) => {
    const reply = await request("GET", path, { timeoutMs });
    const what = `GET ${path}`;
    const json = parseJson(reply.text);
    if (reply.status >= 200 && reply.status < 300) {
      if (json === undefined)
        throw new RegistryUrlError(
          base,
          `${what} answered ${reply.status} with a body that is not JSON`,
        );
      return json;
    }
    const errorCode = (json as { error_code?: unknown } | undefined)?.error_code;
    const message = (json as { message?: unknown } | undefined)?.message;
    if (reply.status === 404) {
      if (typeof errorCode === "number" && errorCode >= 40400 && errorCode <= 40499)
        throw new RegistryNotFoundError(errorCode, `${what}: ${String(message ?? "not found")}`);
      throw new RegistryUrlError(base, `${what} answered 404 ${reply.text.slice(0, 100)}`);
    }
    throw new RegistryUnavailableError(
      what,
      new Error(`HTTP ${reply.status} ${reply.text.slice(0, 200)}`),
      { status: reply.status },
    );
  };

  return {
    url: base,
    request,
    read,
    probe: async (timeoutMs) => (await request("GET", "/subjects", { timeoutMs })).status,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
