import { resolve } from "node:path";

let built: Promise<void> | undefined;

/** Builds `dist/` once per test run, as users get it from `bun run build`. */
export function buildProducer(): Promise<void> {
  built ??= (async () => {
    const child = Bun.spawn(["bun", "run", "build"], {
      cwd: resolve(import.meta.dir, ".."),
      stdout: "pipe",
      stderr: "pipe",
    });
    if ((await child.exited) !== 0)
      throw new Error(`producer build failed:\n${await new Response(child.stderr).text()}`);
  })();
  return built;
}
