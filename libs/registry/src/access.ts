import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { AccessError } from "@repo/platform/errors";
import type { RegistryAccess } from "@repo/platform/security";
import { RegistryUnavailableError } from "./schema-ids.ts";

/** A registry's answer: the HTTP status and the body as text. */
export interface RegistryReply {
  status: number;
  text: string;
}

/** How this process reaches the registry: basic auth and the CA of an https:// registry. */
export interface RegistryConnection {
  /** The base URL, without a trailing slash. */
  url: string;
  /** For the Confluent client (mappersmith): the `auth` and `agent` it takes. */
  auth?: { username: string; password: string };
  agent?: HttpsAgent;
  /**
   * One Confluent REST call (`path` from the base URL, `body` sent as JSON). A refused credential
   * (401/403) or certificate is an {@link AccessError} naming the setting, a registry that does
   * not answer within `timeoutMs` a {@link RegistryUnavailableError} naming the URL; any other
   * status is the caller's to read.
   */
  request(
    method: string,
    path: string,
    options: { body?: unknown; timeoutMs: number },
  ): Promise<RegistryReply>;
  /** The status of `GET <url>/subjects`, with the refusals of {@link RegistryConnection.request}. */
  probe(timeoutMs: number): Promise<number>;
}

const TLS_REFUSAL = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/;
const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

/**
 * The credentials and trust of a registry from `registryAccess(config)`. Requests never follow a
 * redirect (node:http does not), so the credentials go to the configured registry only.
 *
 * @example
 *   const connection = registryConnection({ url: "https://registry:8081", basicAuth, caFile });
 *   await connection.probe(2_000); // 200
 */
export function registryConnection(access: RegistryAccess): RegistryConnection {
  const base = access.url.replace(/\/+$/, "");
  const https = new URL(base).protocol === "https:";
  const ca = access.caFile ? readFileSync(access.caFile) : undefined;
  const agent = https ? new HttpsAgent({ keepAlive: true, ca }) : undefined;
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
      const outgoing = send(
        url,
        {
          method,
          agent,
          ca,
          timeout: timeoutMs,
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
            reject(new AccessError("schema registry", `HTTP ${status} for ${what}; check ${who}`));
            return;
          }
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () =>
            resolve({ status, text: Buffer.concat(chunks).toString("utf8") }),
          );
          response.on("error", (error) => reject(new RegistryUnavailableError(what, error)));
        },
      );
      outgoing.on("timeout", () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      outgoing.on("error", (error: NodeJS.ErrnoException) => {
        if (typeof error.code === "string" && TLS_REFUSAL.test(error.code))
          reject(
            new AccessError(
              "schema registry",
              `${error.code}: ${error.message}; check SCHEMA_REGISTRY_CA_FILE and that the registry's certificate names its host`,
            ),
          );
        else reject(new RegistryUnavailableError(what, error));
      });
      outgoing.end(payload);
    });

  return {
    url: base,
    ...(access.basicAuth ? { auth: { ...access.basicAuth } } : {}),
    ...(agent ? { agent } : {}),
    request,
    probe: async (timeoutMs) => (await request("GET", "/subjects", { timeoutMs })).status,
  };
}
