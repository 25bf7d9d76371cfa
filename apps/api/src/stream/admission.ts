/** Why a stream was not admitted: too many in all, or too many from the caller's address. */
export type StreamRefusal = "too_many_streams" | "too_many_streams_from_client";

/**
 * Counts open streams in all and per remote address, so one careless client cannot take every
 * slot. A slot is held from {@link StreamAdmission.admit} until its `release` (called once, however
 * the stream ends).
 *
 * @example
 *   const admission = createStreamAdmission({ maxClients: 100, maxPerClient: 10 });
 *   const slot = admission.admit("127.0.0.1");
 *   if ("refused" in slot) return refuse(slot.refused);
 *   try { … } finally { slot.release(); }
 */
export function createStreamAdmission(limits: { maxClients: number; maxPerClient: number }) {
  const byAddress = new Map<string, number>();
  const idle = new Set<() => void>();
  let open = 0;
  return {
    admit(address: string): { release: () => void } | { refused: StreamRefusal } {
      if (open >= limits.maxClients) return { refused: "too_many_streams" };
      const mine = byAddress.get(address) ?? 0;
      if (mine >= limits.maxPerClient) return { refused: "too_many_streams_from_client" };
      open += 1;
      byAddress.set(address, mine + 1);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          open -= 1;
          const left = (byAddress.get(address) ?? 1) - 1;
          if (left > 0) byAddress.set(address, left);
          else byAddress.delete(address);
          if (open === 0) for (const notify of idle) notify();
        },
      };
    },
    /** Streams open now. */
    open: () => open,
    /** Resolves true once no stream is open, or false after `timeoutMs`. */
    idle(timeoutMs: number): Promise<boolean> {
      if (open === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (value: boolean) => {
          clearTimeout(timer);
          idle.delete(notify);
          resolve(value);
        };
        const notify = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        idle.add(notify);
      });
    },
  };
}

export type StreamAdmission = ReturnType<typeof createStreamAdmission>;
