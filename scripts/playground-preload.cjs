'use strict';
/**
 * Preload for the Microsoft 365 Agents Playground (`node -r ./scripts/playground-preload.cjs …`);
 * scripts/playground-lib.ts loads it into the bot as well, so the whole demo stays on loopback.
 *
 * 1. The Playground calls `listen(port)` without a host (all interfaces) and has no host option:
 *    every server started in this process is forced onto 127.0.0.1.
 * 2. Defence in depth for "the Playground must not reach the internet": with
 *    `--disable-telemetry` and APPLICATION_INSIGHTS_NO_STATSBEAT=true it only talks to 127.0.0.1,
 *    but should a future version try anything else, outgoing TCP connections and DNS look-ups for
 *    non-loopback hosts fail here (logged once per host on stderr) instead of leaving the machine.
 * 3. With PLAYGROUND_PARENT_PID set, the process exits when that parent is gone (e.g. killed with
 *    SIGKILL), so no orphaned Playground or bot keeps a port.
 *
 * CommonJS on purpose: `-r` loads it before the (CommonJS) Playground bundle.
 */
const net = require('node:net');
const dns = require('node:dns');

const LOOPBACK_HOST = '127.0.0.1';

// --- 1. listen on loopback only ---------------------------------------------------------------
const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  const first = args[0];
  if (args.length === 0 || typeof first === 'function') {
    // listen() / listen(cb): random port on all interfaces → random port on loopback.
    return originalListen.call(this, 0, LOOPBACK_HOST, ...args);
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] === 'string') args[1] = LOOPBACK_HOST;
    else args.splice(1, 0, LOOPBACK_HOST);
    return originalListen.apply(this, args);
  }
  if (first && typeof first === 'object' && !('_handle' in first) && !('fd' in first) && first.path === undefined) {
    args[0] = { ...first, host: LOOPBACK_HOST };
    return originalListen.apply(this, args);
  }
  // A Unix socket path or an existing handle: not a network listener.
  return originalListen.apply(this, args);
};

// --- 2. no outgoing connections beyond loopback ------------------------------------------------
const isLoopback = (host) =>
  host === undefined ||
  host === null ||
  host === '' ||
  host === 'localhost' ||
  host === '::1' ||
  host === '0:0:0:0:0:0:0:1' ||
  /^127\.\d+\.\d+\.\d+$/.test(host) ||
  /^::ffff:127\.\d+\.\d+\.\d+$/i.test(host);

const reported = new Set();
function blocked(host) {
  if (!reported.has(host)) {
    reported.add(host);
    process.stderr.write(`[playground-preload] blocked a non-loopback connection to ${host}\n`);
  }
  const err = new Error(`playground-preload: connections to ${host} are blocked (loopback only)`);
  err.code = 'ECONNREFUSED';
  return err;
}

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connectLoopbackOnly(...args) {
  const first = args[0];
  let host;
  if (Array.isArray(first)) {
    // Internal form: connect([options, cb]) used by net.connect().
    const opts = first[0];
    host = opts && typeof opts === 'object' ? opts.host : undefined;
    if (opts && typeof opts === 'object' && opts.path !== undefined) host = undefined;
  } else if (first && typeof first === 'object') {
    host = first.path !== undefined ? undefined : first.host;
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    host = typeof args[1] === 'string' ? args[1] : undefined;
  }
  if (!isLoopback(host)) {
    const err = blocked(host);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return originalConnect.apply(this, args);
};

const originalLookup = dns.lookup;
dns.lookup = function lookupLoopbackOnly(hostname, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  if (!isLoopback(hostname) && net.isIP(hostname) === 0) {
    const err = blocked(hostname);
    err.code = 'ENOTFOUND';
    process.nextTick(() => cb(err));
    return {};
  }
  return originalLookup.call(this, hostname, options, callback);
};
const originalPromisesLookup = dns.promises.lookup;
dns.promises.lookup = async function promisesLookupLoopbackOnly(hostname, options) {
  if (!isLoopback(hostname) && net.isIP(hostname) === 0) {
    const err = blocked(hostname);
    err.code = 'ENOTFOUND';
    throw err;
  }
  return originalPromisesLookup.call(this, hostname, options);
};

// --- 3. die with the parent ----------------------------------------------------------------------
const parentPid = Number(process.env.PLAYGROUND_PARENT_PID);
if (Number.isInteger(parentPid) && parentPid > 0) {
  const timer = setInterval(() => {
    try {
      process.kill(parentPid, 0);
    } catch {
      process.stderr.write(`[playground-preload] parent ${parentPid} is gone; stopping\n`);
      process.kill(process.pid, 'SIGTERM');
      setTimeout(() => process.exit(1), 5000).unref();
    }
  }, 1000);
  timer.unref();
}
