export { type RegistryConnection, type RegistryReply, registryConnection } from "./access.ts";
export {
  createSchemaRegistryClient,
  type SchemaRegistryClient,
  type SchemaRegistryOptions,
  UnknownSchemaError,
} from "./client.ts";
export {
  createSchemaIdCache,
  type LatestIdLookup,
  RegistryUnavailableError,
  type SchemaIdCache,
  UnknownSubjectError,
} from "./schema-ids.ts";
