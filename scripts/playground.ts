/**
 * `npm run playground` — the bot plus the Microsoft 365 Agents Playground (a Teams simulator),
 * offline and on 127.0.0.1 only, with the fictional Dordrecht demo directory.
 *
 * Ports: PORT (bot) and PLAYGROUND_PORT (Playground), else free ports are picked.
 * Output of both processes is shown prefixed [bot] / [playground]; PLAYGROUND_QUIET=1 hides it.
 * Ctrl-C (SIGINT) or SIGTERM stops both.
 */
import { DirectoryError } from '../src/domain/directory.js';
import { describePlayground, PlaygroundStartError, startPlayground, type RunningPlayground } from './playground-lib.js';

const quiet = process.env.PLAYGROUND_QUIET === '1' || process.env.PLAYGROUND_QUIET === 'true';
let running: RunningPlayground | undefined;
let stopping = false;

async function shutdown(reason: string, code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log(`\nStopping bot and Playground (${reason})…`);
    await running?.stop();
  }
  process.exit(code);
}

process.on('SIGINT', () => void shutdown('Ctrl-C', 0));
process.on('SIGTERM', () => void shutdown('SIGTERM', 0));

try {
  console.log('Starting the bot and the Microsoft 365 Agents Playground (offline)…');
  running = await startPlayground({ onOutput: quiet ? undefined : (line) => console.log(line) });
  console.log(describePlayground(running));
  const exit = await running.exited;
  if (!stopping) {
    console.error(`The ${exit.which} stopped unexpectedly (exit code ${exit.code ?? exit.signal}); stopping the other one.`);
    await shutdown(`${exit.which} exited`, 1);
  }
} catch (err) {
  if (err instanceof PlaygroundStartError || err instanceof DirectoryError) {
    console.error(`Could not start the Playground: ${err.message}`);
  } else {
    console.error('Could not start the Playground:', err);
  }
  await shutdown('start failed', 1);
}
