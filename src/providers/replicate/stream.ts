/**
 * Language-model tokens as they come: reads a prediction's Server-Sent Events stream (`urls.stream`,
 * events `output` / `logs` / `error` / `done`, reference §5) and hands each `output` chunk on. The stream
 * URL carries its own credential, so no Authorization header is sent (the token never leaves for another
 * host). A broken stream is not an error here: the caller falls back to polling.
 */
import type { FetchLike } from './client.js';

export interface ServerSentEvent {
  event: string;
  data: string;
  id?: string;
}

/** Incremental SSE parser: feed text chunks, get complete events. */
export function createSseParser(onEvent: (event: ServerSentEvent) => void) {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  const dispatch = (): void => {
    if (data.length > 0 || event !== '') {
      const out: ServerSentEvent = { event: event || 'message', data: data.join('\n') };
      if (id !== undefined) out.id = id;
      onEvent(out);
    }
    event = '';
    data = [];
  };
  const line = (text: string): void => {
    if (text === '') {
      dispatch();
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  };
  return {
    push(chunk: string): void {
      buffer += chunk;
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        if (!match) break;
        // A lone \r at the end may be the first half of \r\n: wait for more.
        if (match[0] === '\r' && match.index === buffer.length - 1) break;
        line(buffer.slice(0, match.index));
        buffer = buffer.slice(match.index + match[0].length);
      }
    },
  };
}

export interface StreamResult {
  text: string;
  /** True when the `done` event arrived. */
  completed: boolean;
  /** The `error` event's detail, when the model failed while streaming. */
  error?: string;
}

export async function readTokenStream(
  url: string,
  options: { fetch: FetchLike; signal: AbortSignal; onToken: (text: string) => void },
): Promise<StreamResult> {
  const result: StreamResult = { text: '', completed: false };
  let response: Response;
  try {
    response = await options.fetch(url, {
      headers: { Accept: 'text/event-stream', 'Cache-Control': 'no-store' },
      signal: options.signal,
    });
  } catch {
    return result;
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    return result;
  }
  let finished = false;
  const parser = createSseParser((ev) => {
    if (finished) return;
    if (ev.event === 'output') {
      result.text += ev.data;
      options.onToken(ev.data);
    } else if (ev.event === 'error') {
      result.error = errorDetail(ev.data);
    } else if (ev.event === 'done') {
      finished = true;
      result.completed = result.error === undefined;
    }
  });
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  try {
    while (!finished) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
    }
  } catch {
    // broken stream: the caller polls for the rest
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return result;
}

function errorDetail(data: string): string {
  try {
    const parsed = JSON.parse(data) as { detail?: unknown };
    if (typeof parsed.detail === 'string') return parsed.detail;
  } catch {
    // plain text
  }
  return data;
}
