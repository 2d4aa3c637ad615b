// The Node test environment, plus: at the end of each test file, every socket, server, child
// process, worker or referenced timer the file opened must be gone. A file that leaves one
// open fails and names it, with where it was created; without this the leak would keep Jest
// from exiting (or, with --forceExit, be cut off unseen).
const { createHook } = require('node:async_hooks');
const { default: NodeEnvironment } = require('jest-environment-node');
const { describeResource } = require('./handles');

const graceMs = Number(process.env.SNAPFERRY_TEST_LEAK_GRACE_MS ?? 500);
const pollMs = 20;

// What can keep a process alive. Requests (DNS, connects, ticks) end on their own and are
// tracked only to tell which code a handle made in their callback came from.
const handleTypes = new Set([
  'TCPWRAP',
  'TCPSERVERWRAP',
  'PIPEWRAP',
  'PIPESERVERWRAP',
  'PROCESSWRAP',
  'UDPWRAP',
  'Timeout',
  'SIGNALWRAP',
  'FSEVENTWRAP',
  'WORKER',
  'MESSAGEPORT',
]);
// Too many and too short-lived to be worth a stack; promises are followed by V8's async stacks.
const untracked = new Set([
  'PROMISE',
  'WRITEWRAP',
  'SHUTDOWNWRAP',
  'FSREQCALLBACK',
  'FSREQPROMISE',
  'FILEHANDLECLOSEREQ',
  'ZLIB',
]);

const nodeFrame = /\(node:|^at node:/;
const jestFrame = /\/node_modules\/(?:jest-[^/]+|@jest\/[^/]+|@swc\/[^/]+)\//;
const dependencyFrame = /\/node_modules\//;

class LeakCheckEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    /** asyncId → { type, resource, created, parent } for every resource not yet destroyed. */
    const live = (this.live = new Map());
    this.hook = createHook({
      init: function init(asyncId, type, triggerAsyncId, resource) {
        if (untracked.has(type)) return;
        // Deep enough to get past Node's and a driver's frames to the code that asked.
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 40;
        const created = {};
        Error.captureStackTrace(created, init);
        Error.stackTraceLimit = limit;
        const parent = live.get(triggerAsyncId);
        // Only handles are kept: a reference would stop other resources being collected, and
        // some (an HTTP message) are destroyed only when collected.
        live.set(asyncId, {
          type,
          resource: handleTypes.has(type) ? resource : undefined,
          created,
          parent,
        });
      },
      destroy: (asyncId) => void live.delete(asyncId),
    });
  }

  async setup() {
    await super.setup();
    this.hook.enable();
  }

  async teardown() {
    let leaks = this.leaks();
    for (const deadline = Date.now() + graceMs; leaks.length > 0 && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, pollMs).unref());
      leaks = this.leaks();
    }
    this.hook.disable();
    this.live.clear();
    await super.teardown();
    if (leaks.length > 0) throw leakError(leaks);
  }

  leaks() {
    const leaks = [];
    for (const entry of this.live.values()) {
      const { type, resource } = entry;
      if (!handleTypes.has(type)) continue;
      // An unref'd handle cannot keep the process alive.
      if (typeof resource.hasRef === 'function' && !resource.hasRef()) continue;
      const origin = originOf(entry);
      if (origin) leaks.push({ type, resource, origin });
    }
    return leaks;
  }
}

/**
 * Where a handle came from: its own stack if that shows code of ours, else the stack of the
 * callback chain (timer, DNS lookup, connect...) that led to it. Undefined for Jest's own.
 */
function originOf(entry) {
  const chain = [];
  for (let at = entry; at; at = at.parent) {
    const frames = framesOf(at.created);
    chain.push({ type: at.type, frames });
    if (frames.some((frame) => !dependencyFrame.test(frame))) return chain;
  }
  // Only a dependency's frames (a driver's timer, say): still a leak, unless it is Jest's.
  return chain.some(({ frames }) => frames.some((frame) => !jestFrame.test(frame)))
    ? chain
    : undefined;
}

function framesOf(created) {
  return String(created.stack)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('at ') && !nodeFrame.test(line) && !jestFrame.test(line))
    .slice(0, 10);
}

function leakError(leaks) {
  const lines = [
    `${leaks.length} handle(s) opened by this test file were still open ${graceMs} ms after its ` +
      `tests ended (SNAPFERRY_TEST_LEAK_GRACE_MS). Close them in the test or in the code under test:`,
  ];
  for (const { type, resource, origin } of leaks) {
    lines.push('', `  ${describeResource(type, resource)}, created`);
    origin.forEach(({ type: via, frames }, index) => {
      if (index > 0) lines.push(`    in a callback of a ${via} created`);
      for (const frame of frames) lines.push(`      ${frame.replace(/^at /, 'from ')}`);
    });
  }
  const error = new Error(lines.join('\n'));
  // Jest reads "at" lines as the stack: keep one, the first leak's own code, for a code frame.
  const top = leaks[0].origin.flatMap(({ frames }) => frames).find((f) => !dependencyFrame.test(f));
  error.stack = `Error: ${error.message}${top ? `\n    ${top}` : ''}`;
  return error;
}

module.exports = LeakCheckEnvironment;
