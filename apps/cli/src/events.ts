import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { EventPageResponse, EventResponse } from '@snapferry/contracts';
import type { Context, ContextOf } from './context';
import { UnreachableError } from './errors';
import { table } from './output';
import { position, positiveInt } from './parse';
import type { HttpAnswer } from './api-client';

interface EventsOptions {
  follow?: boolean;
  type?: string;
  stream?: string;
  after?: string;
  limit?: number;
}

export function eventsCommand(program: Command, contextOf: ContextOf): void {
  program
    .command('events')
    .description('the event log in global order (operators see every account, users their own)')
    .option('-f, --follow', 'keep following new events live (server-sent events) until Ctrl-C')
    .option('--type <type>', 'only events of this type, e.g. ReplicationCompleted')
    .option(
      '--stream <streamId>',
      'only events of this stream, e.g. snapshot-snap-1a2b3c4d (not with --follow)',
    )
    .option(
      '--after <position>',
      'start after this global position (default: the beginning)',
      position,
    )
    .option(
      '--limit <n>',
      'page size (1-1000, default 100); with --follow, stop after this many events',
      positiveInt,
    )
    .action(async (options: EventsOptions, command: Command) => {
      const ctx = contextOf(command);
      if (!options.follow) return listEvents(ctx, options);
      if (options.stream)
        command.error('error: --stream cannot be combined with --follow', { exitCode: 2 });
      return followEvents(ctx, options);
    });
}

async function listEvents(ctx: Context, options: EventsOptions): Promise<void> {
  const page = await ctx.api.get<EventPageResponse>('/v1/events', {
    after: options.after,
    limit: options.limit,
    type: options.type,
    streamId: options.stream,
  });
  ctx.out.result(page, () => {
    const rows = page.events.map((e) => [e.globalPosition, e.type, e.streamId, e.recordedAt]);
    return `${table(['POSITION', 'TYPE', 'STREAM', 'RECORDED'], rows)}\nnext page: --after ${page.next}`;
  });
}

const reconnectAttempts = 10;
const emptyBody: Uint8Array[] = [];

/**
 * Follows GET /v1/events/stream. When the stream ends (a catalog restart, a proxy timeout)
 * it reconnects after the last position it printed, so no event is shown twice or missed.
 */
async function followEvents(ctx: Context, options: EventsOptions): Promise<void> {
  const { SseParser } = await import('./sse'); // only this command parses a stream
  const controller = new AbortController();
  let after = options.after ?? '0';
  let shown = 0;
  let failures = 0;
  let connected = false; // the first connection failing is an error at once (exit 4)
  for (;;) {
    let response: HttpAnswer;
    try {
      response = await ctx.api.send('GET', '/v1/events/stream', {
        query: { after, type: options.type },
        headers: { accept: 'text/event-stream' },
        signal: controller.signal,
      });
      connected = true;
      failures = 0;
    } catch (error) {
      if (!(error instanceof UnreachableError) || !connected || ++failures > reconnectAttempts)
        throw error;
      await sleep(1_000);
      continue;
    }
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const enough = () => options.limit !== undefined && shown >= options.limit;
    try {
      read: for await (const chunk of (response.body ?? emptyBody) as AsyncIterable<Uint8Array>) {
        for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
          const event = JSON.parse(message.data) as EventResponse;
          after = message.id ?? event.globalPosition;
          ctx.out.item(event, () => eventLine(event));
          shown++;
          if (enough()) break read;
        }
      }
    } catch {
      // dropped mid-stream: reconnect below
    }
    if (enough()) return controller.abort();
    await sleep(1_000);
  }
}

export const eventLine = (e: EventResponse): string =>
  `${e.globalPosition.padStart(8)}  ${e.recordedAt}  ${e.type.padEnd(26)}  ${e.streamId}`;
