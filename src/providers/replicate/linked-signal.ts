/**
 * A signal that aborts when any of its sources does, and lets go of them when disposed.
 * `AbortSignal.any` keeps a WeakRef in every source for as long as the source lives, so one per task on
 * the run's signal grows with the run (100,000 tasks: ~10 MB); this one removes its listeners instead.
 */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Stops following the sources (the signal stays as it is). */
  dispose(): void;
}

export function linkSignals(sources: readonly AbortSignal[]): LinkedSignal {
  const controller = new AbortController();
  const aborted = sources.find((source) => source.aborted);
  if (aborted !== undefined) {
    controller.abort(aborted.reason);
    return { signal: controller.signal, dispose: () => {} };
  }
  const listeners = sources.map((source) => {
    const listener = () => {
      controller.abort(source.reason);
      dispose();
    };
    source.addEventListener('abort', listener, { once: true });
    return [source, listener] as const;
  });
  const dispose = () => {
    for (const [source, listener] of listeners) source.removeEventListener('abort', listener);
  };
  return { signal: controller.signal, dispose };
}
