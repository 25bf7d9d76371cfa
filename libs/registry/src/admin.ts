/**
 * The Schema Registry calls that change subjects: compatibility levels, compatibility checks and
 * registration. Only `schemas:push` (@repo/provision) and tests use them; the services never
 * register a schema (see client.ts). Over the same connection as the services' client (basic
 * auth, CA, no redirects), and only the Confluent REST API, so any compatible registry works.
 */
import { HttpStatusError } from "@repo/platform/errors";
import { backoffDelay, sleep } from "@repo/platform/retry";
import type { RegistryAccess } from "@repo/platform/security";
import { type RegistryConnection, type RegistryReply, registryConnection } from "./access.ts";

/**
 * A registry answer that is neither success nor an expected "not found": retriable for 408, 429
 * and 5xx (the registry may answer otherwise later), final for the other statuses.
 */
export class RegistryError extends HttpStatusError {
  override name = "RegistryError";
  declare readonly status: number;
  constructor(
    message: string,
    status: number,
    readonly errorCode?: number,
  ) {
    super(message, { status });
  }
}

/** A registered schema version. */
export interface RegisteredVersion {
  id: number;
  version: number;
}

/** Outcome of a compatibility check, with the registry's own messages. */
export interface CompatibilityCheck {
  compatible: boolean;
  messages: string[];
}

interface ErrorBody {
  error_code?: number;
  message?: string;
}

/**
 * Subject administration for one registry.
 *
 * @example
 *   const admin = new RegistryAdmin({ url: "http://127.0.0.1:8081" });
 *   await admin.setCompatibility("market.ticks-value", "FULL_TRANSITIVE");
 *   const { id, version } = await admin.register("market.ticks-value", schemaJson);
 */
export class RegistryAdmin {
  private readonly connection: RegistryConnection;

  constructor(
    access: RegistryAccess,
    private readonly timeoutMs = 5000,
    private readonly readBackAttempts = 6,
  ) {
    this.connection = registryConnection(access);
  }

  get url(): string {
    return this.connection.url;
  }

  private async call<T>(method: string, path: string, body?: unknown) {
    const reply = await this.connection.request(method, path, { body, timeoutMs: this.timeoutMs });
    return { status: reply.status, body: parseBody(reply) as T & ErrorBody };
  }

  private fail(what: string, reply: { status: number; body: ErrorBody }): never {
    const { status, body } = reply;
    throw new RegistryError(
      `${what}: HTTP ${status} ${body.message ?? JSON.stringify(body)}`,
      status,
      body.error_code,
    );
  }

  /** The global compatibility level; doubles as a reachability probe. */
  async globalCompatibility(): Promise<string> {
    const reply = await this.call<{ compatibilityLevel: string }>("GET", "/config");
    if (reply.status !== 200) this.fail(`GET ${this.url}/config`, reply);
    return reply.body.compatibilityLevel;
  }

  /** The subject-level compatibility, or undefined if the subject has none of its own. */
  async subjectCompatibility(subject: string): Promise<string | undefined> {
    const reply = await this.call<{ compatibilityLevel: string }>("GET", `/config/${enc(subject)}`);
    if (reply.status === 404) return undefined;
    if (reply.status !== 200) this.fail(`GET config of ${subject}`, reply);
    return reply.body.compatibilityLevel;
  }

  /** Sets the subject-level compatibility. */
  async setCompatibility(subject: string, level: string): Promise<void> {
    const reply = await this.call("PUT", `/config/${enc(subject)}`, { compatibility: level });
    if (reply.status !== 200) this.fail(`PUT config of ${subject}`, reply);
  }

  /** Removes the subject-level compatibility, so the global level applies again. */
  async clearCompatibility(subject: string): Promise<void> {
    const reply = await this.call("DELETE", `/config/${enc(subject)}`);
    if (reply.status !== 200 && reply.status !== 404)
      this.fail(`DELETE config of ${subject}`, reply);
  }

  /** The version under which this exact schema is registered in the subject, if any. */
  async lookup(subject: string, schema: string): Promise<RegisteredVersion | undefined> {
    const reply = await this.call<RegisteredVersion>("POST", `/subjects/${enc(subject)}`, {
      schema,
    });
    if (reply.status === 404) return undefined;
    if (reply.status !== 200) this.fail(`lookup in ${subject}`, reply);
    return { id: reply.body.id, version: reply.body.version };
  }

  /** Checks the schema against the subject's latest version under the subject's compatibility. */
  async checkCompatibility(subject: string, schema: string): Promise<CompatibilityCheck> {
    const path = `/compatibility/subjects/${enc(subject)}/versions/latest?verbose=true`;
    const reply = await this.call<{ is_compatible: boolean; messages?: string[] }>("POST", path, {
      schema,
    });
    if (reply.status === 404) return { compatible: true, messages: [] };
    if (reply.status === 422)
      return { compatible: false, messages: [reply.body.message ?? "invalid schema"] };
    if (reply.status !== 200) this.fail(`compatibility check of ${subject}`, reply);
    return { compatible: reply.body.is_compatible, messages: reply.body.messages ?? [] };
  }

  /**
   * Registers the schema (idempotent: an identical schema gets its existing id) and reads it back.
   *
   * The read-back can miss even after a 200: AxonOps Schema Registry 0.2.x on Cassandra deletes a
   * schema's text when the last subject holding it is hard-deleted, and a registration of the same
   * schema racing that delete is stored under the deleted id (its lookup and `GET /schemas/ids/<id>`
   * answer 404). Registering again stores the text again, so a miss is retried, registration
   * included, with backoff; after `readBackAttempts` it throws naming the subject and the id.
   *
   * @example
   *   const { id, version } = await admin.register("market.ticks-value", schemaJson);
   */
  async register(subject: string, schema: string): Promise<RegisteredVersion> {
    let registeredId: number | undefined;
    for (let attempt = 0; attempt < this.readBackAttempts; attempt++) {
      if (attempt > 0) await sleep(backoffDelay(attempt, { minDelayMs: 50, maxDelayMs: 1000 }));
      const reply = await this.call<{ id: number }>("POST", `/subjects/${enc(subject)}/versions`, {
        schema,
      });
      if (reply.status !== 200) this.fail(`register in ${subject}`, reply);
      registeredId = reply.body.id;
      const registered = await this.lookup(subject, schema);
      if (registered) return registered;
    }
    throw new RegistryError(
      `registered in ${subject} (id ${registeredId}) but the registry could not find it again in ${this.readBackAttempts} attempts`,
      404,
    );
  }

  /** Deletes a subject (soft, then hard); for tests that create throwaway subjects. */
  async deleteSubject(subject: string): Promise<void> {
    await this.call("DELETE", `/subjects/${enc(subject)}`);
    await this.call("DELETE", `/subjects/${enc(subject)}?permanent=true`);
  }
}

const enc = encodeURIComponent;

function parseBody(reply: RegistryReply): unknown {
  try {
    return reply.text === "" ? {} : JSON.parse(reply.text);
  } catch {
    return { message: reply.text.slice(0, 200) };
  }
}
