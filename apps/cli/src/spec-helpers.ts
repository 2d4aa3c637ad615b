import { Readable, Writable } from 'node:stream';
import type { Fetch } from './api-client';
import { run } from './program';

/** A stream that keeps what is written to it. */
export function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

export interface Call {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that answers from `route` and records every call (no network in unit tests). */
export function fakeFetch(
  route: (
    call: Call,
  ) => { status: number; body?: unknown; headers?: Record<string, string> } | Error,
) {
  const calls: Call[] = [];
  const fetch: Fetch = async (input, init) => {
    const headers = init?.headers ?? {};
    const call: Call = {
      method: init?.method ?? 'GET',
      url: new URL(input),
      headers,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body,
    };
    calls.push(call);
    const answer = route(call);
    if (answer instanceof Error) throw answer;
    const text = answer.body === undefined ? null : JSON.stringify(answer.body);
    return new Response(text, {
      status: answer.status,
      headers: { 'content-type': 'application/json', ...answer.headers },
    });
  };
  return { fetch, calls };
}

/** Runs the CLI in this process against a fake fetch. */
export async function cli(
  args: string[],
  fetch: Fetch,
  env: NodeJS.ProcessEnv = {
    SNAPFERRY_URL: 'http://catalog.test:8080',
    SNAPFERRY_API_KEY: 'key-1',
  },
  stdin: NodeJS.ReadableStream = Readable.from([]),
) {
  const stdout = sink();
  const stderr = sink();
  const code = await run(args, { env, stdout: stdout.stream, stderr: stderr.stream, stdin, fetch });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
