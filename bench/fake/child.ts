/**
 * Child-process entry that runs the fake Replicate server for the bench, so that its CPU work (HTTP,
 * validation, image making) does not share an event loop with the code being measured. Started by
 * `startFakeProcess()` (client.ts); takes a `FakeSpec` as its first IPC message and answers requests.
 */
import { type FakeReplicate, startFakeReplicate } from '../../test/fake-replicate/index.js';
import type { FakeHello, FakeReply, FakeRequest, FakeSpec, PredictionTiming } from './protocol.js';
import { createTinyMaker } from './tiny-maker.js';

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

async function start(spec: FakeSpec): Promise<{ fake: FakeReplicate; stop: () => void }> {
  const fake = await startFakeReplicate({
    token: spec.token,
    timeScale: spec.timeScale,
    models: spec.models,
    rateLimits: spec.rateLimits,
    makeOutputs: createTinyMaker(),
    seed: spec.seed,
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
