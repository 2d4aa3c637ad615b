/**
 * The shape every Snapferry message has on the wire (README, "Message flow"). libs/contracts
 * defines the typed messages; they fit this interface structurally.
 */
export interface MessageEnvelope {
  eventId: string;
  type: string;
  version: number;
  occurredAt: string;
  correlationId: string;
  data: unknown;
}

/**
 * Schema validation injected by the caller (contracts). Throws on an invalid message; may
 * return a replacement envelope (for example an upcast to the current version).
 */
export type EnvelopeValidator = (envelope: MessageEnvelope) => MessageEnvelope | void;

export class InvalidEnvelopeError extends Error {
  override readonly name = 'InvalidEnvelopeError';
}

/** Parses a message body and checks the envelope fields; `data` is left to the validator. */
export function parseEnvelope(content: Buffer): MessageEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch (error) {
    throw new InvalidEnvelopeError(
      `body is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidEnvelopeError('body is not a JSON object');
  }
  const v = value as Record<string, unknown>;
  for (const field of ['eventId', 'type', 'occurredAt', 'correlationId'] as const) {
    if (typeof v[field] !== 'string' || v[field] === '')
      throw new InvalidEnvelopeError(`${field} must be a non-empty string`);
  }
  if (typeof v['version'] !== 'number' || !Number.isInteger(v['version'])) {
    throw new InvalidEnvelopeError('version must be an integer');
  }
  if (!('data' in v)) throw new InvalidEnvelopeError('data is missing');
  return v as unknown as MessageEnvelope;
}
