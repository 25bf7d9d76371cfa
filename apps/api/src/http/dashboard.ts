import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { ApiError } from "@repo/platform/http";
import type { Hono } from "hono";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
};

/**
 * Serves the built dashboard (`bun run build` → `dir`): `/` is its page, `/<file>` its hashed
 * assets, which are cached for good since their names change with their content.
 *
 * @example
 *   mountDashboard(app, join(import.meta.dir, "../../dist/public"));
 */
export function mountDashboard(app: Hono, dir: string) {
  const send = async (file: string, cache: string) => {
    try {
      const body = await readFile(join(dir, file));
      return new Response(body, {
        headers: {
          "content-type": TYPES[extname(file)] ?? "application/octet-stream",
          "cache-control": cache,
        },
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      if (file === "index.html") {
        throw new ApiError(
          503,
          "dashboard_not_built",
          "the dashboard is not built; run `bun run build` in apps/api",
        );
      }
      throw new ApiError(404, "not_found", `no dashboard asset ${file}`);
    }
  };
  app.get("/", () => send("index.html", "no-cache"));
  app.get("/:file{[A-Za-z0-9_-]+\\.(?:js|css|map|svg)}", (c) =>
    send(c.req.param("file"), "public, max-age=31536000, immutable"),
  );
}
