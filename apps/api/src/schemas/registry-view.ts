import { type RegistryConnection, RegistryNotFoundError } from "@repo/registry";

/** The registry as the console shows it: subjects, versions, compatibility, schema texts. */
export interface SchemaCatalog {
  /** Every subject (at most `max`) with its versions and compatibility level, and the global level. */
  subjects(
    max: number,
  ): Promise<{ compatibility: string | null; subjects: SubjectInfo[]; truncated: boolean }>;
  /** One version of a subject (`latest` allowed), or undefined when the registry has no such version. */
  version(subject: string, version: string): Promise<SubjectVersion | undefined>;
}

export interface SubjectInfo {
  subject: string;
  versions: number[];
  /** The subject's own level, else the global one. */
  compatibility: string | null;
  latest: { version: number; id: number; schemaType: string } | null;
}

export interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  schemaType: string;
  schema: string;
}

/**
 * Reads the Confluent REST API through `@repo/registry`'s connection (its timeouts and typed
 * errors): `GET /subjects`, `/subjects/{s}/versions`, `/config/{s}?defaultToGlobal=true`,
 * `/subjects/{s}/versions/{v}`. Subjects are read 8 at a time.
 *
 * @example
 *   const catalog = createSchemaCatalog(registryConnection(registryAccess(config)), 5_000);
 *   (await catalog.subjects(500)).subjects[0]; // { subject: "market.ticks-value", versions: [1], … }
 */
export function createSchemaCatalog(
  connection: RegistryConnection,
  timeoutMs: number,
): SchemaCatalog {
  const read = (path: string) => connection.read(path, timeoutMs);
  const level = async (path: string): Promise<string | null> => {
    try {
      const answer = (await read(path)) as {
        compatibilityLevel?: unknown;
        compatibility?: unknown;
      };
      const value = answer.compatibilityLevel ?? answer.compatibility;
      return typeof value === "string" ? value : null;
    } catch (error) {
      if (error instanceof RegistryNotFoundError) return null;
      throw error;
    }
  };
  const version: SchemaCatalog["version"] = async (subject, which) => {
    try {
      const answer = (await read(
        `/subjects/${encodeURIComponent(subject)}/versions/${encodeURIComponent(which)}`,
      )) as { version?: number; id?: number; schemaType?: string; schema?: string };
      return {
        subject,
        version: Number(answer.version),
        id: Number(answer.id),
        schemaType: answer.schemaType ?? "AVRO",
        schema: String(answer.schema ?? ""),
      };
    } catch (error) {
      if (error instanceof RegistryNotFoundError) return undefined;
      throw error;
    }
  };
  return {
    version,
    async subjects(max) {
      const all = ((await read("/subjects")) as string[])
        .filter((s) => typeof s === "string")
        .sort();
      const global = await level("/config");
      const chosen = all.slice(0, max);
      const subjects: SubjectInfo[] = [];
      for (let i = 0; i < chosen.length; i += 8) {
        subjects.push(
          ...(await Promise.all(
            chosen.slice(i, i + 8).map(async (subject): Promise<SubjectInfo> => {
              const path = encodeURIComponent(subject);
              const [versions, own, latest] = await Promise.all([
                read(`/subjects/${path}/versions`).catch((error) => {
                  if (error instanceof RegistryNotFoundError) return [];
                  throw error;
                }) as Promise<number[]>,
                level(`/config/${path}?defaultToGlobal=true`),
                version(subject, "latest"),
              ]);
              return {
                subject,
                versions: [...versions].sort((x, y) => x - y),
                compatibility: own ?? global,
                latest: latest
                  ? { version: latest.version, id: latest.id, schemaType: latest.schemaType }
                  : null,
              };
            }),
          )),
        );
      }
      return { compatibility: global, subjects, truncated: all.length > max };
    },
  };
}
