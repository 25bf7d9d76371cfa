/** A record's partition as the book and the commit bookkeeping name it. */
export const partitionKey = (at: { topic: string; partition: number }) =>
  `${at.topic}\u0000${at.partition}`;

/**
 * Which partitions stayed this member's since a batch was polled. Every revoke bumps an epoch; a
 * batch remembers the epoch it was polled under, and its work for a partition revoked since then is
 * dropped (the new owner replays it from the committed offset).
 *
 * @example
 *   const ownership = createOwnership();
 *   const epoch = ownership.epoch; // when a batch is polled
 *   ownership.revoke(["market.ticks\u00003"]);
 *   ownership.ownedSince(epoch)({ topic: "market.ticks", partition: 3 }); // false
 */
export function createOwnership() {
  let revokes = 0;
  /** Per partition: the epoch its last revoke set. */
  const revokedAt = new Map<string, number>();
  return {
    get epoch() {
      return revokes;
    },
    revoke(keys: string[]) {
      revokes += 1;
      for (const key of keys) revokedAt.set(key, revokes);
    },
    /** Whether a partition stayed this member's since `epoch` (no revoke in between). */
    ownedSince:
      (epoch: number) =>
      (at: { topic: string; partition: number }): boolean =>
        (revokedAt.get(partitionKey(at)) ?? 0) <= epoch,
  };
}

export type Ownership = ReturnType<typeof createOwnership>;
