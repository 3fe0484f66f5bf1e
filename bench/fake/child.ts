/**
 * Child-process entry that runs the fake Replicate server for the bench, so that its CPU work (HTTP,
 * validation, image making) does not share an event loop with the code being measured. Started by
 * `startFakeProcess()` (client.ts); takes a `FakeSpec` as its first IPC message and answers requests.
 */
import { type FakeClock, type FakeReplicate, startFakeReplicate } from '../../test/fake-replicate/index.js';
import type { FakeHello, FakeReply, FakeRequest, FakeSpec, PredictionTiming } from './protocol.js';
import { createTinyMaker } from './tiny-maker.js';
import { countFired, transientFaults } from './transient-faults.js';

const send = (message: FakeHello | FakeReply): void => {
  process.send?.(message);
};

const time = (value: unknown): number | null => (typeof value === 'string' ? Date.parse(value) : null);

function timing(json: Record<string, unknown>): PredictionTiming {
  const metrics = (json.metrics ?? {}) as Record<string, unknown>;
  return {
    id: String(json.id),
    model: String(json.model),
    status: String(json.status),
    createdMs: time(json.created_at) ?? 0,
    startedMs: time(json.started_at),
    completedMs: time(json.completed_at),
    predictTime: typeof metrics.predict_time === 'number' ? metrics.predict_time : null,
  };
}

/** Simulated time: reads `origin` + wall time elapsed / scale, sleeps `ms` × scale (see FakeSpec.clockOrigin). */
function simulatedClock(origin: number, scale: number): FakeClock {
  return {
    now: () => origin + (Date.now() - origin) / scale,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, ms * scale));
        signal?.addEventListener('abort', done, { once: true });
      }),
  };
}

async function start(spec: FakeSpec): Promise<{ fake: FakeReplicate; stop: () => void }> {
  const simulated = spec.clockOrigin !== undefined;
  const fake = await startFakeReplicate({
    token: spec.token,
    // On simulated time the clock itself is scaled, so durations are not scaled again.
    timeScale: simulated ? 1 : spec.timeScale,
    ...(simulated ? { clock: simulatedClock(spec.clockOrigin as number, spec.timeScale) } : {}),
    models: spec.models,
    rateLimits: spec.rateLimits,
    makeOutputs: createTinyMaker(),
    seed: spec.seed,
    ...(spec.faults ? { faults: transientFaults(spec.faults) } : {}),
  });
  let timer: NodeJS.Timeout | undefined;
  if (spec.coldStartEveryMs !== undefined) {
    timer = setInterval(() => {
      for (const ref of Object.keys(spec.models)) fake.resetColdStart(ref);
    }, spec.coldStartEveryMs * spec.timeScale);
    timer.unref();
  }
  return { fake, stop: () => clearInterval(timer) };
}

// The bench went away (finished, crashed or interrupted): nothing is left to serve.
process.once('disconnect', () => process.exit(0));

process.once('message', (spec: FakeSpec) => {
  start(spec).then(
    ({ fake, stop }) => {
      process.on('message', (request: FakeRequest) => {
        void (async () => {
          switch (request.type) {
            case 'counts':
              return send({ id: request.id, type: 'counts', counts: { ...fake.counts } });
            case 'reset-counts':
              fake.resetCounts();
              return send({ id: request.id, type: 'ok' });
            case 'predictions':
              return send({
                id: request.id,
                type: 'predictions',
                predictions: fake.predictions.list().map(timing),
              });
            case 'faults':
              return send({ id: request.id, type: 'faults', fired: countFired(fake.faults.fired) });
            case 'close':
              stop();
              await fake.close();
              send({ id: request.id, type: 'ok' });
              process.disconnect();
          }
        })();
      });
      send({ type: 'ready', baseUrl: fake.baseUrl });
    },
    (error: unknown) => {
      send({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
      process.disconnect();
    },
  );
});
