/**
 * Runs the fake Replicate server in a child process (fake/child.ts) and talks to it over IPC: request
 * counts, prediction timings, close. One per scenario run; nothing is shared between instances.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Counts } from '../../test/fake-replicate/index.js';
import type {
  FakeHello,
  FakeReply,
  FakeRequest,
  FakeSpec,
  FiredFaults,
  PredictionTiming,
} from './protocol.js';

export interface FakeProcess {
  readonly baseUrl: string;
  readonly token: string;
  counts(): Promise<Counts>;
  resetCounts(): Promise<void>;
  predictions(): Promise<PredictionTiming[]>;
  /** The injected faults that fired, by kind. */
  faults(): Promise<FiredFaults>;
  close(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

type Pending = (reply: FakeReply) => void;

export async function startFakeProcess(spec: FakeSpec): Promise<FakeProcess> {
  const child = fork(CHILD, [], {
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.FAKE_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.FAKE_PROF] : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const hello = await new Promise<FakeHello>((resolve, reject) => {
    child.once('message', (message: FakeHello) => resolve(message));
    child.once('exit', (code) => reject(new Error(`fake server exited early (code ${code})`)));
    child.send(spec);
  });
  if (hello.type === 'failed') throw new Error(`fake server failed to start: ${hello.error}`);
  child.on('message', (reply: FakeReply) => {
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });

  const ask = (type: FakeRequest['type']): Promise<FakeReply> =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ id, type } satisfies FakeRequest);
    });

  return {
    baseUrl: hello.baseUrl,
    token: spec.token,
    async counts() {
      const reply = await ask('counts');
      if (reply.type !== 'counts') throw new Error('fake server: unexpected reply');
      return reply.counts;
    },
    async resetCounts() {
      await ask('reset-counts');
    },
    async predictions() {
      const reply = await ask('predictions');
      if (reply.type !== 'predictions') throw new Error('fake server: unexpected reply');
      return reply.predictions;
    },
    async faults() {
      const reply = await ask('faults');
      if (reply.type !== 'faults') throw new Error('fake server: unexpected reply');
      return reply.fired;
    },
    async close() {
      if (child.connected) await ask('close');
      await exited;
    },
  };
}
