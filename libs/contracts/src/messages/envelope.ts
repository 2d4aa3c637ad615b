/** Every message on the wire: `{eventId, type, version, occurredAt, correlationId, data}`. */
export interface MessageEnvelope<Type extends string = string, Data = unknown> {
  eventId: string;
  type: Type;
  version: number;
  occurredAt: string;
  correlationId: string;
  data: Data;
}
