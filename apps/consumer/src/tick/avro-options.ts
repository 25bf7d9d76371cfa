import { avroOptions } from "@repo/contracts";
import type { ForSchemaOptions } from "avsc";

/**
 * avsc `forSchema` stores named types in `opts.registry`, and contracts' `avroTypeOf` passes the
 * shared `avroOptions` object itself, so after it ran, `avroOptions.registry` already holds
 * `market.Tick` and every later parse of a Tick schema fails with "duplicate type name".
 * The registry client spreads its options per parse, so options without `registry` are safe.
 */
export function freshAvroOptions(): Partial<ForSchemaOptions> {
  const { registry: _shared, ...options } = avroOptions;
  return options;
}
