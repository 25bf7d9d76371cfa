import type { OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "@repo/platform/http";
import { diffAvro } from "../schemas/diff.ts";
import { type ConsoleDeps, consoleContext, invalid } from "./console-common.ts";
import { mountDeadLetterRoutes } from "./console-dlq-routes.ts";
import { mountKafkaRoutes } from "./console-kafka-routes.ts";
import { mountMessageRoutes } from "./console-message-routes.ts";
import { routes } from "./console-specs.ts";

export { authorize, type ConsoleDeps, isLoopback } from "./console-common.ts";
export { MAX_PAGE } from "./console-params.ts";

/**
 * The console's routes (`/v1/kafka/*`, `/v1/schemas*`) on the api's OpenAPI app: topics, groups
 * and offset resets, messages (JSON, NDJSON), dead letters and their redrive, schemas and diffs.
 * Every read is bounded by records and time; actions need an operator token.
 *
 * @example
 *   mountConsoleRoutes(api, { kafka, catalog, types: registry.typeOf, topics, limits, … });
 */
export function mountConsoleRoutes(api: OpenAPIHono, deps: ConsoleDeps) {
  api.openAPIRegistry.registerComponent("securitySchemes", "operatorToken", {
    type: "http",
    scheme: "bearer",
    description: "A token of API_OPERATOR_TOKENS",
  });
  const ctx = consoleContext(deps);
  const { guarded } = ctx;
  mountKafkaRoutes(api, deps, ctx);
  mountMessageRoutes(api, deps, ctx);
  mountDeadLetterRoutes(api, deps, ctx);

  api.openapi(routes.schemas, async (c) => {
    const answer = await guarded("schemas", () => deps.catalog.subjects(500));
    return c.json(answer, 200);
  });

  api.openapi(routes.schemaDiff, async (c) => {
    const { subject, a, b } = c.req.valid("param");
    const [va, vb] = await guarded("schema versions", () =>
      Promise.all([deps.catalog.version(subject, a), deps.catalog.version(subject, b)]),
    );
    for (const [name, found, asked] of [
      ["a", va, a],
      ["b", vb, b],
    ] as const)
      if (!found)
        throw new ApiError(404, "unknown_version", `${subject} has no version ${asked}`, {
          issues: [{ path: name, in: "path", message: `${subject} has no version ${asked}` }],
        });
    const from = va as NonNullable<typeof va>;
    const to = vb as NonNullable<typeof vb>;
    if (from.schemaType !== "AVRO" || to.schemaType !== "AVRO")
      throw invalid(
        "subject",
        `only Avro schemas are compared (this is ${from.schemaType})`,
        "path",
      );
    const changes = diffAvro(JSON.parse(from.schema), JSON.parse(to.schema));
    return c.json(
      {
        subject,
        from: { version: from.version, id: from.id },
        to: { version: to.version, id: to.id },
        changes,
      },
      200,
    );
  });
}
