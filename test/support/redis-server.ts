import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A throwaway redis-server for tests: its own port, its own temp dir, no persistence. `kill9` and
 * `restart` exist to test how the RedisStore behaves while Redis is down and when it comes back.
 */
export interface RedisServer {
  url: string;
  port: number;
  /** Graceful stop; removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL, no waiting: Redis is just gone, as in a crash. */
  kill9(): void;
  /** Stops (if running) and starts again on the same port; the data is gone unless `persistent`. */
  restart(): Promise<void>;
}

export const REDIS_SERVER_MISSING =
  'redis-server was not found on PATH. Install it (Debian/Ubuntu: `apt-get install redis-server`) ' +
  'to run the Redis tests.';

const READY_TIMEOUT_MS = 10_000;

export interface RedisServerOptions {
  /** AOF with fsync on every write, so data survives kill9/restart (reliability drills). Default off. */
  persistent?: boolean;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ovb-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  // The free port can be taken by someone else between probing and redis-server binding it.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      child = await spawnReady(port, dir, options.persistent ?? false);
      break;
    } catch (error) {
      if (error instanceof PortTakenError && attempt < 5) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  // Never leave an orphaned redis-server behind when the test runner exits abruptly.
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stopChild = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await stopChild();
      process.removeListener('exit', killOnExit);
      fs.rmSync(dir, { recursive: true, force: true });
    },
    kill9() {
      child?.kill('SIGKILL');
    },
    async restart() {
      await stopChild();
      child = await spawnReady(port, dir, options.persistent ?? false);
    },
  };
}

class PortTakenError extends Error {}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not determine a free port'))));
    });
  });
}

async function spawnReady(port: number, dir: string, persistent: boolean): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, ...(persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Keep the tail of the output for the error message if it does not come up.
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  let failure: Error | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure = error.code === 'ENOENT' ? new Error(REDIS_SERVER_MISSING) : error;
  });
  child.once('exit', (code, signal) => {
    failure ??= /address already in use/i.test(output)
      ? new PortTakenError(`port ${port} is taken`)
      : new Error(`redis-server exited early (code ${code}, signal ${signal}):\n${output}`);
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!failure) {
    if (await answersPing(port, child.pid)) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw failure;
}

/**
 * Raw RESP, so readiness does not depend on the client library under test. Checks that the
 * server answering is *our* child (process_id), not whoever else grabbed the port meanwhile.
 */
function answersPing(port: number, pid: number | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\nINFO server\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.startsWith('-')) return done(false);
      const match = /process_id:(\d+)\r\n/.exec(reply);
      if (match) done(reply.startsWith('+PONG') && Number(match[1]) === pid);
    });
  });
}
