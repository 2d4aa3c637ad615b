import type {
  ReplicationCancelRequested,
  ReplicationProgressEvent,
  ReplicationRequested,
} from '@snapferry/domain';
import type { MessageEnvelope } from './envelope';
import { cancelRoutingKey, progressRoutingKey, requestRoutingKey } from './routing-keys';

/** Message type -> data, for everything that crosses `snapferry.replication`. */
export interface ReplicationMessages {
  ReplicationRequested: ReplicationRequested['data'];
  ReplicationCancelRequested: ReplicationCancelRequested['data'];
  ReplicationStarted: Extract<ReplicationProgressEvent, { type: 'ReplicationStarted' }>['data'];
  ReplicationProgressed: Extract<
    ReplicationProgressEvent,
    { type: 'ReplicationProgressed' }
  >['data'];
  ReplicationVerifying: Extract<ReplicationProgressEvent, { type: 'ReplicationVerifying' }>['data'];
  ReplicationCompleted: Extract<ReplicationProgressEvent, { type: 'ReplicationCompleted' }>['data'];
  ReplicationFailed: Extract<ReplicationProgressEvent, { type: 'ReplicationFailed' }>['data'];
  ReplicationCancelled: Extract<ReplicationProgressEvent, { type: 'ReplicationCancelled' }>['data'];
}
export type ReplicationMessageType = keyof ReplicationMessages;
export type ReplicationMessage<T extends ReplicationMessageType = ReplicationMessageType> = {
  [K in T]: MessageEnvelope<K, ReplicationMessages[K]>;
}[T];

/** Schema version of each message type; bump it with an upcaster when a shape changes. */
export const messageVersions: Record<ReplicationMessageType, number> = {
  ReplicationRequested: 1,
  ReplicationCancelRequested: 1,
  ReplicationStarted: 1,
  ReplicationProgressed: 1,
  ReplicationVerifying: 1,
  ReplicationCompleted: 1,
  ReplicationFailed: 1,
  ReplicationCancelled: 1,
};

export function routingKeyOf(message: ReplicationMessage): string {
  switch (message.type) {
    case 'ReplicationRequested':
      return requestRoutingKey(message.data.targetRegion);
    case 'ReplicationCancelRequested':
      return cancelRoutingKey(message.data.targetRegion);
    case 'ReplicationStarted':
    case 'ReplicationProgressed':
    case 'ReplicationVerifying':
    case 'ReplicationCompleted':
    case 'ReplicationFailed':
    case 'ReplicationCancelled':
      return progressRoutingKey(message.type, message.data.targetRegion);
  }
}
