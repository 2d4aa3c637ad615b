/** A signature's record: the action of its first use, and its uses so far, this one included. */
export interface SignatureUse {
  firstAction: string;
  uses: number;
}

/**
 * Whether a verified TC3 signature may be used again; the message of the refusal, or undefined.
 *
 * The official Node.js SDK signs only `content-type` and `host`, with a timestamp in whole
 * seconds and no nonce: X-TC-Action and X-TC-Region are not covered, and identical parameters
 * within one second give the same signature, whatever the action (SDK users poll
 * DescribeSnapshots in loops, and read back what they just changed). A second use cannot be
 * told from a replay, so what it may do decides: an action that changes something never runs
 * on a used signature (no replayed write, no read turned into a write); one that changes
 * nothing (Describe*) may, as it harms nobody.
 */
export function reuseRefusal(
  use: SignatureUse,
  action: string,
  writes: (action: string) => boolean,
): string | undefined {
  if (use.uses <= 1 || !writes(action)) return undefined;
  return use.firstAction === action
    ? `this signature was used before: ${action} is carried out once per signature; to do it again, send a newly signed request (a new X-TC-Timestamp)`
    : `this signature was used before, for ${use.firstAction.slice(0, 60)}: a used signature may only read (X-TC-Action is not signed; sign x-tc-action, or send a newly signed request)`;
}
