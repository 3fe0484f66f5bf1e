/**
 * A k-way merge of sorted sources through a small binary heap: one value of each source is held at a
 * time. Values that compare equal come in the order of their sources (then of reading within one).
 */
export async function* mergeSorted<T>(
  sources: readonly (AsyncIterable<T> | Iterable<T>)[],
  compare: (a: T, b: T) => number,
): AsyncGenerator<T> {
  interface Head {
    value: T;
    source: number;
    rest: AsyncIterator<T> | Iterator<T>;
  }
  const before = (a: Head, b: Head): boolean => {
    const order = compare(a.value, b.value);
    return order < 0 || (order === 0 && a.source < b.source);
  };
  const heap: Head[] = [];
  const push = (head: Head): void => {
    let at = heap.push(head) - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const above = heap[parent] as Head;
      if (!before(head, above)) break;
      heap[at] = above;
      at = parent;
    }
    heap[at] = head;
  };
  /** Puts `head` at the top and sinks it to its place. */
  const replaceTop = (head: Head): void => {
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right] as Head, heap[left] as Head) ? right : left;
      if (!before(heap[child] as Head, head)) break;
      heap[at] = heap[child] as Head;
      at = child;
    }
    heap[at] = head;
  };
  const iterators = sources.map((source) =>
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator](),
  );
  try {
    for (const [source, rest] of iterators.entries()) {
      const first = await rest.next();
      if (first.done !== true) push({ value: first.value, source, rest });
    }
    while (heap.length > 0) {
      const top = heap[0] as Head;
      yield top.value;
      const next = await top.rest.next();
      if (next.done !== true) replaceTop({ value: next.value, source: top.source, rest: top.rest });
      else {
        const last = heap.pop() as Head;
        if (heap.length > 0) replaceTop(last);
      }
    }
  } finally {
    // Stopped early (or failed): the sources still open are closed (their files, for file lines).
    for (const rest of iterators) await rest.return?.();
  }
}
