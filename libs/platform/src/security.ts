import { accessSync, constants, statSync } from "node:fs";
import { z } from "zod";
import { flag } from "./variables.ts";

/**
 * The variables that make connections to Kafka, Cassandra and the Schema Registry encrypted and
 * authenticated, and the checks between them. `loadConfig` runs {@link connectionProblems} on every
 * configuration, so a service fails at start-up instead of connecting in a way nobody asked for
 * (credentials ignored, or sent in clear text across a network).
 */

/** An optional variable; set to the empty string it counts as unset. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

/** A path to a file this process can read (a CA bundle, a certificate, a key). */
const readableFile = optional(
  z.string().refine((path) => {
    try {
      accessSync(path, constants.R_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  }, "must name a readable file (absolute paths are safest: services run in their own folders)"),
);

const upper = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess(
    (value) => (typeof value === "string" ? value.toUpperCase() : value),
    z.enum(values),
  );

export const KAFKA_PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] as const;
export const KAFKA_SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;

export const kafkaSecurityEnv = {
  KAFKA_SECURITY_PROTOCOL: upper(KAFKA_PROTOCOLS).default("PLAINTEXT"),
  KAFKA_SASL_MECHANISM: optional(upper(KAFKA_SASL_MECHANISMS)),
  KAFKA_SASL_USERNAME: optional(z.string()),
  KAFKA_SASL_PASSWORD: optional(z.string()),
  /** PEM bundle of the CAs that sign the brokers' certificates (default: the system's). */
  KAFKA_SSL_CA_FILE: readableFile,
};

export const cassandraSecurityEnv = {
  CASSANDRA_USERNAME: optional(z.string()),
  CASSANDRA_PASSWORD: optional(z.string()),
  CASSANDRA_TLS: flag(false),
  CASSANDRA_TLS_CA_FILE: readableFile,
  CASSANDRA_TLS_CERT_FILE: readableFile,
  CASSANDRA_TLS_KEY_FILE: readableFile,
};

export const registrySecurityEnv = {
  SCHEMA_REGISTRY_USERNAME: optional(z.string()),
  SCHEMA_REGISTRY_PASSWORD: optional(z.string()),
  SCHEMA_REGISTRY_CA_FILE: readableFile,
};

/** How a Kafka client authenticates and encrypts; the librdkafka and pure-JS adapters take this. */
export interface KafkaSecurity {
  protocol: (typeof KAFKA_PROTOCOLS)[number];
  sasl?: { mechanism: (typeof KAFKA_SASL_MECHANISMS)[number]; username: string; password: string };
  /** CA bundle for TLS protocols; the system's CAs when absent. */
  caFile?: string;
}

/**
 * The Kafka security settings of a configuration loaded with `kafkaEnv`.
 *
 * @example
 *   const config = loadConfig({ ...kafkaEnv });
 *   createKafkaProducer({ brokers: config.KAFKA_BROKERS, security: kafkaSecurity(config), … });
 */
export function kafkaSecurity(config: {
  KAFKA_SECURITY_PROTOCOL: KafkaSecurity["protocol"];
  KAFKA_SASL_MECHANISM?: (typeof KAFKA_SASL_MECHANISMS)[number] | undefined;
  KAFKA_SASL_USERNAME?: string | undefined;
  KAFKA_SASL_PASSWORD?: string | undefined;
  KAFKA_SSL_CA_FILE?: string | undefined;
}): KafkaSecurity {
  const security: KafkaSecurity = { protocol: config.KAFKA_SECURITY_PROTOCOL };
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username } = config;
  const password = config.KAFKA_SASL_PASSWORD;
  if (security.protocol.startsWith("SASL_") && mechanism && username && password)
    security.sasl = { mechanism, username, password };
  if (config.KAFKA_SSL_CA_FILE) security.caFile = config.KAFKA_SSL_CA_FILE;
  return security;
}

/** How a Schema Registry client authenticates and which CAs it trusts. */
export interface RegistryAccess {
  url: string;
  basicAuth?: { username: string; password: string };
  caFile?: string;
}

/**
 * The registry URL with its credentials and CA, from a configuration loaded with `registryEnv`.
 *
 * @example
 *   const registry = createSchemaRegistryClient({ ...registryAccess(config), onStale });
 */
export function registryAccess(config: {
  SCHEMA_REGISTRY_URL: string;
  SCHEMA_REGISTRY_USERNAME?: string | undefined;
  SCHEMA_REGISTRY_PASSWORD?: string | undefined;
  SCHEMA_REGISTRY_CA_FILE?: string | undefined;
}): RegistryAccess {
  const access: RegistryAccess = { url: config.SCHEMA_REGISTRY_URL };
  const { SCHEMA_REGISTRY_USERNAME: username, SCHEMA_REGISTRY_PASSWORD: password } = config;
  if (username && password) access.basicAuth = { username, password };
  if (config.SCHEMA_REGISTRY_CA_FILE) access.caFile = config.SCHEMA_REGISTRY_CA_FILE;
  return access;
}

/** One reason a configuration cannot be used, located by its variable. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Whether `host` (a name, an IPv4 address or a bracketed IPv6 address) is this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** The host of a `host:port` endpoint (IPv6 in brackets). */
export function hostOf(endpoint: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(endpoint);
  if (bracketed) return bracketed[1] as string;
  const colon = endpoint.lastIndexOf(":");
  return colon > 0 ? endpoint.slice(0, colon) : endpoint;
}

type Values = Record<string, unknown>;

/**
 * What is wrong between the security variables present in `values` (a parsed configuration):
 * credentials without the protocol that uses them, half a pair, a CA for a plain connection, or a
 * password that would cross a network in clear text. Groups absent from `values` are not checked.
 *
 * @example
 *   connectionProblems({ KAFKA_BROKERS: ["k:9092"], KAFKA_SECURITY_PROTOCOL: "SASL_SSL" });
 *   // [{ variable: "KAFKA_SASL_MECHANISM", message: "required by KAFKA_SECURITY_PROTOCOL=SASL_SSL" }, …]
 */
export function connectionProblems(values: Values): ConfigProblem[] {
  return [...kafkaProblems(values), ...cassandraProblems(values), ...registryProblems(values)];
}

function kafkaProblems(values: Values): ConfigProblem[] {
  if (!("KAFKA_SECURITY_PROTOCOL" in values)) return [];
  const problems: ConfigProblem[] = [];
  const protocol = String(values.KAFKA_SECURITY_PROTOCOL);
  const sasl = protocol.startsWith("SASL_");
  const saslVariables = ["KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"];
  for (const variable of saslVariables) {
    if (sasl && !values[variable])
      problems.push({ variable, message: `required by KAFKA_SECURITY_PROTOCOL=${protocol}` });
    if (!sasl && values[variable])
      problems.push({
        variable,
        message: `is set but KAFKA_SECURITY_PROTOCOL=${protocol} does not use SASL (use SASL_SSL or SASL_PLAINTEXT)`,
      });
  }
  if (values.KAFKA_SSL_CA_FILE && !protocol.endsWith("SSL"))
    problems.push({
      variable: "KAFKA_SSL_CA_FILE",
      message: `is set but KAFKA_SECURITY_PROTOCOL=${protocol} does not use TLS (use SSL or SASL_SSL)`,
    });
  const brokers = Array.isArray(values.KAFKA_BROKERS) ? (values.KAFKA_BROKERS as string[]) : [];
  const remote = brokers.filter((broker) => !isLoopbackHost(hostOf(broker)));
  if (protocol === "SASL_PLAINTEXT" && values.KAFKA_SASL_MECHANISM === "PLAIN" && remote.length)
    problems.push({
      variable: "KAFKA_SASL_MECHANISM",
      message: `PLAIN over SASL_PLAINTEXT would send the password in clear text to ${remote.length} non-loopback broker(s); use KAFKA_SECURITY_PROTOCOL=SASL_SSL or a SCRAM mechanism`,
    });
  return problems;
}

function cassandraProblems(values: Values): ConfigProblem[] {
  if (!("CASSANDRA_TLS" in values)) return [];
  const problems: ConfigProblem[] = [];
  problems.push(...pair(values, "CASSANDRA_USERNAME", "CASSANDRA_PASSWORD"));
  problems.push(...pair(values, "CASSANDRA_TLS_CERT_FILE", "CASSANDRA_TLS_KEY_FILE"));
  if (!values.CASSANDRA_TLS) {
    for (const variable of [
      "CASSANDRA_TLS_CA_FILE",
      "CASSANDRA_TLS_CERT_FILE",
      "CASSANDRA_TLS_KEY_FILE",
    ])
      if (values[variable])
        problems.push({ variable, message: "is set but CASSANDRA_TLS is not true" });
    const points = Array.isArray(values.CASSANDRA_CONTACT_POINTS)
      ? (values.CASSANDRA_CONTACT_POINTS as string[])
      : [];
    const remote = points.filter((point) => !isLoopbackHost(hostOf(point)));
    if (values.CASSANDRA_PASSWORD && remote.length > 0)
      problems.push({
        variable: "CASSANDRA_PASSWORD",
        message: `would cross the network in clear text to ${remote.length} non-loopback contact point(s); set CASSANDRA_TLS=true`,
      });
  }
  return problems;
}

function registryProblems(values: Values): ConfigProblem[] {
  if (!("SCHEMA_REGISTRY_URL" in values)) return [];
  const problems = pair(values, "SCHEMA_REGISTRY_USERNAME", "SCHEMA_REGISTRY_PASSWORD");
  let url: URL;
  try {
    url = new URL(String(values.SCHEMA_REGISTRY_URL));
  } catch {
    return problems;
  }
  if (url.username || url.password)
    problems.push({
      variable: "SCHEMA_REGISTRY_URL",
      message:
        "carries credentials; put them in SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD (URLs are logged)",
    });
  if (values.SCHEMA_REGISTRY_CA_FILE && url.protocol !== "https:")
    problems.push({
      variable: "SCHEMA_REGISTRY_CA_FILE",
      message: "is set but SCHEMA_REGISTRY_URL is not https://",
    });
  if (values.SCHEMA_REGISTRY_PASSWORD && url.protocol !== "https:" && !isLoopbackHost(url.hostname))
    problems.push({
      variable: "SCHEMA_REGISTRY_PASSWORD",
      message: `would cross the network in clear text to ${url.hostname}; use an https:// SCHEMA_REGISTRY_URL`,
    });
  return problems;
}

function pair(values: Values, first: string, second: string): ConfigProblem[] {
  if (Boolean(values[first]) === Boolean(values[second])) return [];
  const [missing, given] = values[first] ? [second, first] : [first, second];
  return [{ variable: missing, message: `required with ${given}` }];
}
