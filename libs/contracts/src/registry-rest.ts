/**
 * The few Confluent Schema Registry REST calls `schemas:push` needs, over fetch with a timeout.
 * Only the Confluent REST API is used, so any compatible registry works.
 */
import { readFileSync } from "node:fs";

/** A registry answer that is neither success nor an expected "not found". */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode?: number,
  ) {
    super(message);
  }
}

interface RegistryReply<T> {
  status: number;
  body: T & { error_code?: number; message?: string };
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

const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

/** Basic auth and the CA of an https:// registry (`registryAccess(config)` without the URL). */
export interface RegistryCredentials {
  basicAuth?: { username: string; password: string };
  caFile?: string;
}

/** A thin client for one registry base URL (e.g. `http://127.0.0.1:8081`). */
export class RegistryRest {
  private readonly base: string;
  private readonly authorization: string | undefined;
  private readonly ca: string | undefined;

  constructor(
    readonly url: string,
    private readonly timeoutMs = 5000,
    credentials: RegistryCredentials = {},
  ) {
    this.base = url.replace(/\/+$/, "");
    const { basicAuth } = credentials;
    this.authorization = basicAuth
      ? `Basic ${Buffer.from(`${basicAuth.username}:${basicAuth.password}`).toString("base64")}`
      : undefined;
    this.ca = credentials.caFile ? readFileSync(credentials.caFile, "utf8") : undefined;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<RegistryReply<T>> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          "content-type": CONTENT_TYPE,
          accept: CONTENT_TYPE,
          ...(this.authorization ? { authorization: this.authorization } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
        // The request may carry credentials: a redirect must not take them to another host.
        redirect: "error",
        // Bun's fetch (schemas:push runs on Bun) trusts this CA for an https:// registry.
        ...(this.ca ? { tls: { ca: this.ca } } : {}),
      });
    } catch (error) {
      throw new Error(`schema registry at ${this.url} is unreachable: ${causeOf(error)}`);
    }
    const text = await response.text();
    return { status: response.status, body: parseBody(text) as RegistryReply<T>["body"] };
  }

  private fail(what: string, reply: RegistryReply<unknown>): never {
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

  /** Registers the schema (idempotent: an identical schema gets its existing id). */
  async register(subject: string, schema: string): Promise<RegisteredVersion> {
    const reply = await this.call<{ id: number }>("POST", `/subjects/${enc(subject)}/versions`, {
      schema,
    });
    if (reply.status !== 200) this.fail(`register in ${subject}`, reply);
    const registered = await this.lookup(subject, schema);
    if (!registered)
      throw new Error(`registered in ${subject} but the registry cannot find it again`);
    return registered;
  }

  /** Deletes a subject (soft, then hard); for tests that create throwaway subjects. */
  async deleteSubject(subject: string): Promise<void> {
    await this.call("DELETE", `/subjects/${enc(subject)}`);
    await this.call("DELETE", `/subjects/${enc(subject)}?permanent=true`);
  }
}

const enc = encodeURIComponent;

function parseBody(text: string): unknown {
  try {
    return text === "" ? {} : JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

/** The message of an error and of its causes, e.g. `fetch failed: connect ECONNREFUSED …`. */
export function causeOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error && parts.length < 4) {
    parts.push(current.message);
    current = current.cause ?? (current as { errors?: unknown[] }).errors?.[0];
  }
  return parts.length > 0 ? parts.join(": ") : String(error);
}
