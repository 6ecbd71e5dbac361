import os from 'node:os';
import autocannon from 'autocannon';

/**
 * One measured HTTP load run with autocannon: `connections` keep-alive connections POST Teams-shaped
 * activities to /api/messages for `durationSec`, after an unmeasured warm-up at the same
 * concurrency. Every request gets a fresh body from `body()`. Latencies are recorded per response
 * (autocannon's own summary has no p95).
 */
export interface LoadSpec {
  url: string;
  connections: number;
  durationSec: number;
  warmupSec: number;
  body: () => string;
  /** Checks a response; failures are counted (`badResponses`), never thrown. */
  check?: (status: number, body: string) => boolean;
  /** Called between warm-up and measurement (e.g. to reset the connector stub's counters). */
  beforeMeasure?: () => Promise<void>;
}

export interface LoadResult {
  connections: number;
  durationSec: number;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  badResponses: number;
  /** 1-minute load average of the machine before and after (the machine is shared). */
  loadBefore: number;
  loadAfter: number;
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

async function once(spec: LoadSpec, durationSec: number, record: boolean) {
  const latencies: number[] = [];
  let bad = 0;
  let done!: (value: { result: autocannon.Result } | { error: Error }) => void;
  const finished = new Promise<{ result: autocannon.Result } | { error: Error }>((resolve) => (done = resolve));
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    pipelining: 1,
    duration: durationSec,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/api/messages',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: spec.body() }),
        ...(spec.check && record
          ? {
              onResponse: (status: number, body: string) => {
                if (!spec.check!(status, body)) bad++;
              },
            }
          : {}),
      },
    ],
  }, (error, result) => done(error ? { error } : { result }));
  if (record) instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const outcome = await finished;
  if ('error' in outcome) throw outcome.error;
  return { result: outcome.result, latencies, bad };
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (spec.warmupSec > 0) await once(spec, spec.warmupSec, false);
  await spec.beforeMeasure?.();
  const loadBefore = os.loadavg()[0]!;
  const { result, latencies, bad } = await once(spec, spec.durationSec, true);
  const loadAfter = os.loadavg()[0]!;
  const sorted = latencies.sort((a, b) => a - b);
  const duration = result.duration || spec.durationSec;
  return {
    connections: spec.connections,
    durationSec: duration,
    requests: sorted.length,
    rps: (result['2xx'] ?? sorted.length) / duration,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? NaN,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    badResponses: bad,
    loadBefore,
    loadAfter,
  };
}
