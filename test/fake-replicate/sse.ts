/**
 * `urls.stream`: Server-Sent Events for a prediction (no auth; the URL token is the credential).
 * Replays the backlog, then follows live events until `done`. Events: `output`, `logs`, `error`, `done`,
 * each with an `id:` line; multi-line data is split over several `data:` lines.
 */
import type { ServerResponse } from 'node:http';
import type { Reply } from './http.js';
import type { PredictionState, SseEvent } from './predictions.js';

export function formatSse(event: SseEvent): string {
  const data = event.data
    .split('\n')
    .map((line) => `data: ${line}`)
    .join('\n');
  return `event: ${event.event}\nid: ${event.id}\n${data}\n\n`;
}

export function sseReply(state: PredictionState): Reply {
  return {
    kind: 'stream',
    status: 200,
    headers: {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    },
    run: (res: ServerResponse, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        let sent = 0;
        let ended = false;
        const end = () => {
          if (ended) return;
          ended = true;
          state.emitter.off('sse', flush);
          signal.removeEventListener('abort', end);
          res.end();
          resolve();
        };
        const flush = () => {
          while (sent < state.events.length) {
            const event = state.events[sent] as SseEvent;
            sent += 1;
            res.write(formatSse(event));
            if (event.event === 'done') return end();
          }
        };
        state.emitter.on('sse', flush);
        signal.addEventListener('abort', end, { once: true });
        res.on('close', end);
        flush();
      }),
  };
}
