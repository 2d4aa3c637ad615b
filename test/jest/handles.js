// Names for what keeps a test process alive, specific enough to find the code that opened it.

const kinds = {
  TCPWRAP: 'TCP socket',
  TCPSERVERWRAP: 'TCP server',
  PIPEWRAP: 'pipe',
  PIPESERVERWRAP: 'pipe server',
  PROCESSWRAP: 'child process',
  UDPWRAP: 'UDP socket',
  Timeout: 'timer',
  SIGNALWRAP: 'signal listener',
  FSEVENTWRAP: 'file watcher',
  WORKER: 'worker thread',
  MESSAGEPORT: 'message port',
};

/** One async_hooks resource (the handle object Node gives `init`), e.g. "TCP socket 127.0.0.1:41234 -> 127.0.0.1:5672". */
function describeResource(type, resource) {
  const kind = kinds[type] ?? type;
  try {
    if (type === 'TCPWRAP' || type === 'TCPSERVERWRAP') {
      const local = address(resource, 'getsockname');
      const peer = address(resource, 'getpeername');
      if (peer) return `${kind} ${local ?? '?'} -> ${peer}`;
      if (local) return `${kind} on ${local}`;
    }
    if (type === 'PROCESSWRAP' && resource.pid) return `${kind} pid ${resource.pid}`;
    if (type === 'Timeout')
      return `${kind} of ${resource._idleTimeout} ms${timerCallback(resource)}`;
  } catch {
    // A handle half closed: its kind is all there is to say.
  }
  return kind;
}

function address(handle, method) {
  if (typeof handle[method] !== 'function') return undefined;
  const out = {};
  if (handle[method](out) !== 0 || !out.address) return undefined;
  return out.family === 'IPv6' || out.family === 6
    ? `[${out.address}]:${out.port}`
    : `${out.address}:${out.port}`;
}

function timerCallback(timer) {
  const name = timer._onTimeout?.name;
  return name ? ` calling ${name}()` : '';
}

/** What `process._getActiveHandles()` still holds, one line each (for the exit watchdog). */
function describeActiveHandles() {
  const handles =
    typeof process._getActiveHandles === 'function' ? process._getActiveHandles() : [];
  const lines = [];
  for (const handle of handles) {
    if (typeof handle.hasRef === 'function' && !handle.hasRef()) continue;
    const line = describeHandle(handle);
    if (line) lines.push(line);
  }
  return lines;
}

function describeHandle(handle) {
  const name = handle?.constructor?.name ?? typeof handle;
  try {
    if (name === 'Socket' || name === 'TLSSocket') {
      // Jest's own output and a worker's IPC channel are not leaks.
      if (handle === process.stdout || handle === process.stderr || handle === process.stdin)
        return undefined;
      if (handle.remoteAddress)
        return `${name} ${handle.localAddress}:${handle.localPort} -> ${handle.remoteAddress}:${handle.remotePort}`;
      return `${name} (not connected${handle.connecting ? ' yet' : ''})`;
    }
    if (name === 'Server') {
      const at = handle.address();
      return `Server listening on ${typeof at === 'string' ? at : `${at?.address}:${at?.port}`}`;
    }
    if (name === 'ChildProcess')
      return `ChildProcess pid ${handle.pid}: ${(handle.spawnargs ?? []).join(' ')}`;
    if (name === 'Timeout') return `Timeout of ${handle._idleTimeout} ms${timerCallback(handle)}`;
  } catch {
    // Fall through to the bare name.
  }
  return name;
}

module.exports = { describeResource, describeActiveHandles };
