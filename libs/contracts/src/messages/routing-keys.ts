import { type ReplicationProgressEvent, replicationProgressEventTypes } from '@snapferry/domain';

/** The topic exchanges (README, "Message flow"). */
export const REPLICATION_EXCHANGE = 'snapferry.replication';
export const EVENTS_EXCHANGE = 'snapferry.events';

export type ProgressEventType = ReplicationProgressEvent['type'];
export const PROGRESS_EVENT_TYPES: readonly ProgressEventType[] = replicationProgressEventTypes;

/** A region id becomes one routing-key word, so it may not contain '.', '*' or '#' ('*' itself is a pattern). */
function regionWord(region: string): string {
  if (region === '*') return region;
  if (region === '' || /[.*#\s]/.test(region))
    throw new Error(`invalid region for a routing key: "${region}"`);
  return region;
}

export const requestRoutingKey = (region: string) => `replication.requested.${regionWord(region)}`;
export const cancelRoutingKey = (region: string) => `replication.cancel.${regionWord(region)}`;

/** `ReplicationProgressed`, `eu-frankfurt` -> `replication.progressed.eu-frankfurt`. */
export function progressRoutingKey(eventType: ProgressEventType, region: string): string {
  return `replication.${eventType.slice('Replication'.length).toLowerCase()}.${regionWord(region)}`;
}

/** Catalog events on `snapferry.events`: `<EventType>.<region>`. */
export function catalogEventRoutingKey(eventType: string, region: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(eventType))
    throw new Error(`invalid event type for a routing key: "${eventType}"`);
  return `${eventType}.${regionWord(region)}`;
}
