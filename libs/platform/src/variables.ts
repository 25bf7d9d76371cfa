import { z } from "zod";

/** A comma-separated variable as a list of trimmed, non-empty items. */
export const commaList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean),
    );

/** A non-empty comma-separated list of `host:port` endpoints. */
export const endpointList = (fallback: string) =>
  commaList(fallback).refine((list) => list.length > 0, "must list at least one host:port");

export const port = (fallback: number) =>
  z.coerce.number().int().min(1).max(65535).default(fallback);

export const positiveInt = (fallback: number) =>
  z.coerce.number().int().positive().default(fallback);

/** A boolean variable: true/false/1/0/yes/no. */
export const flag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"])
    .default(fallback ? "true" : "false")
    .transform((value) => value === "true" || value === "1" || value === "yes");
