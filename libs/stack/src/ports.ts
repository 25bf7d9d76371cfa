import { createServer } from "node:net";

/** Resolves true when nothing listens on 127.0.0.1:port. */
export function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Throws a message naming every port already taken. */
export async function assertPortsFree(component: string, ports: number[]): Promise<void> {
  const taken: number[] = [];
  for (const port of ports) if (!(await portIsFree(port))) taken.push(port);
  if (taken.length > 0) {
    throw new StackError(
      `${component}: port ${taken.join(", ")} on 127.0.0.1 is already in use by a process this stack did not start. ` +
        `Stop it (e.g. \`ss -ltnp 'sport = :${taken[0]}'\` shows which) or point the app at that server instead.`,
    );
  }
}

/** An error meant for the person running the CLI: printed without a stack trace. */
export class StackError extends Error {
  override name = "StackError";
}
