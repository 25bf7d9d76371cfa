export {
  type ConnectionLimits,
  type RegistryConnection,
  type RegistryReply,
  registryConnection,
} from "./access.ts";
export {
  createSchemaRegistryClient,
  type SchemaRegistryClient,
  type SchemaRegistryOptions,
} from "./client.ts";
export { registryClientEnv, registryTimeouts } from "./config.ts";
export {
  RegistryAccessError,
  RegistryNotFoundError,
  RegistryUnavailableError,
  RegistryUrlError,
  UnknownSchemaError,
  UnknownSubjectError,
  UnsupportedSchemaError,
} from "./errors.ts";
export { createSchemaIdCache, type LatestIdLookup, type SchemaIdCache } from "./schema-ids.ts";
