import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { AccessError } from "@repo/platform/errors";
import type { RegistryAccess } from "@repo/platform/security";
import { RegistryUnavailableError } from "./schema-ids.ts";

/** How this process reaches the registry: basic auth and the CA of an https:// registry. */
export interface RegistryConnection {
  /** For the Confluent client (mappersmith): the `auth` and `agent` it takes. */
  auth?: { username: string; password: string };
  agent?: HttpsAgent;
  /**
   * The status of `GET <url>/subjects`; a refused credential (401/403) or certificate is an
   * {@link AccessError} naming the setting, a registry that does not answer a
   * {@link RegistryUnavailableError}.
   */
  probe(timeoutMs: number): Promise<number>;
}

const TLS_REFUSAL = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/;

/**
 * The credentials and trust of a registry from `registryAccess(config)`. Requests never follow a
 * redirect (node:http does not), so the credentials go to the configured registry only.
 *
 * @example
 *   const connection = registryConnection({ url: "https://registry:8081", basicAuth, caFile });
 *   await connection.probe(2_000); // 200
 */
export function registryConnection(access: RegistryAccess): RegistryConnection {
  const url = new URL(`${access.url.replace(/\/+$/, "")}/subjects`);
  const ca = access.caFile ? readFileSync(access.caFile) : undefined;
  const agent = url.protocol === "https:" ? new HttpsAgent({ keepAlive: true, ca }) : undefined;
  const authorization = access.basicAuth
    ? `Basic ${Buffer.from(`${access.basicAuth.username}:${access.basicAuth.password}`).toString("base64")}`
    : undefined;
  const who = access.basicAuth
    ? `SCHEMA_REGISTRY_USERNAME (${access.basicAuth.username}) and SCHEMA_REGISTRY_PASSWORD`
    : "SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD (unset)";
  return {
    ...(access.basicAuth ? { auth: { ...access.basicAuth } } : {}),
    ...(agent ? { agent } : {}),
    probe: (timeoutMs) =>
      new Promise((resolve, reject) => {
        const send = url.protocol === "https:" ? httpsRequest : httpRequest;
        const request = send(
          url,
          {
            method: "GET",
            agent,
            ca,
            timeout: timeoutMs,
            headers: {
              accept: "application/vnd.schemaregistry.v1+json",
              ...(authorization ? { authorization } : {}),
            },
          },
          (response) => {
            response.resume();
            const status = response.statusCode ?? 0;
            if (status === 401 || status === 403)
              reject(
                new AccessError(
                  "schema registry",
                  `HTTP ${status} for GET /subjects; check ${who}`,
                ),
              );
            else resolve(status);
          },
        );
        request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        request.on("error", (error: NodeJS.ErrnoException) => {
          if (typeof error.code === "string" && TLS_REFUSAL.test(error.code))
            reject(
              new AccessError(
                "schema registry",
                `${error.code}: ${error.message}; check SCHEMA_REGISTRY_CA_FILE and that the registry's certificate names its host`,
              ),
            );
          else reject(new RegistryUnavailableError("GET /subjects", error));
        });
        request.end();
      }),
  };
}
