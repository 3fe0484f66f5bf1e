import { afterEach, describe, expect, it } from 'vitest';
import { createSseParser, readTokenStream } from '../../../src/providers/replicate/stream.js';
import { type MiniReplicate, sse, startMiniReplicate } from './mini-replicate.js';

let mini: MiniReplicate | undefined;
afterEach(async () => {
  await mini?.close();
  mini = undefined;
});

describe('SSE', () => {
  it('parses events split across chunks, multi-line data and CRLF', () => {
    const events: unknown[] = [];
    const parser = createSseParser((e) => events.push(e));
    parser.push('event: output\r\nid: 1:0\r\ndata:  Hel');
    parser.push(
      'lo\r\n\r\nevent: output\nid: 1:1\ndata: a\ndata: b\n\n: comment\n\nevent: done\ndata: {}\n\n',
    );
    expect(events).toEqual([
      { event: 'output', id: '1:0', data: ' Hello' },
      { event: 'output', id: '1:1', data: 'a\nb' },
      { event: 'done', id: '1:1', data: '{}' },
    ]);
  });

  it('yields tokens in order and stops at done; no Authorization header is sent', async () => {
    mini = await startMiniReplicate();
    const tokens = ['Once', ' upon', ' a', ' time', '\n', 'the end'];
    mini.streams.set('s1', {
      events: [
        ...tokens.map((t, i) => sse('output', t, `1:${i}`)),
        sse('done', '{}', '1:9'),
        sse('output', 'x', '2'),
      ],
    });
    const seen: string[] = [];
    const result = await readTokenStream(`${mini.base}/stream/s1`, {
      fetch: (i, init) => fetch(i, init),
      signal: new AbortController().signal,
      onToken: (t) => seen.push(t),
    });
    expect(seen).toEqual(tokens);
    expect(result).toEqual({ text: tokens.join(''), completed: true });
    expect(mini.server.requests[0]?.headers.authorization).toBeUndefined();
    expect(mini.server.requests[0]?.headers.accept).toBe('text/event-stream');
  });

  it('reports a broken stream as not completed, and an error event with its detail', async () => {
    mini = await startMiniReplicate();
    mini.streams.set('b', {
      events: [sse('output', 'a', '1'), sse('output', 'b', '2'), sse('done', '{}', '3')],
      breakAfter: 2,
    });
    mini.streams.set('e', {
      events: [
        sse('output', 'a', '1'),
        sse('error', '{"detail":"CUDA out of memory"}', '2'),
        sse('done', '{}', '3'),
      ],
    });
    const opts = {
      fetch: (i: string | URL | Request, init?: RequestInit) => fetch(i, init),
      signal: new AbortController().signal,
      onToken: () => undefined,
    };
    expect(await readTokenStream(`${mini.base}/stream/b`, opts)).toEqual({ text: 'ab', completed: false });
    expect(await readTokenStream(`${mini.base}/stream/e`, opts)).toEqual({
      text: 'a',
      completed: false,
      error: 'CUDA out of memory',
    });
    expect(await readTokenStream(`${mini.base}/stream/missing`, opts)).toEqual({
      text: '',
      completed: false,
    });
  });
});
