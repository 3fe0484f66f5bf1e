/**
 * A read-only array whose elements are made when they are read, not kept: what a plan of 100,000 assets
 * holds is the recipe and 8 bytes an instance, not 100,000 planned assets (see ARCHITECTURE.md, Memory at
 * scale). It is an `Array` to every reader (`length`, indexes, iteration, `map`, `filter` …); each read of
 * an element makes a new one, so two reads are equal but not the same object, and writing is refused.
 */
export function lazyList<T>(length: number, make: (index: number) => T): T[] {
  const index = (property: string | symbol): number | undefined => {
    if (typeof property !== 'string') return undefined;
    const n = Number(property);
    return Number.isInteger(n) && n >= 0 && n < length && String(n) === property ? n : undefined;
  };
  const refuse = (): never => {
    throw new TypeError('a plan is read-only: its assets are made when they are read');
  };
  return new Proxy<T[]>([], {
    get(target, property, receiver) {
      if (property === 'length') return length;
      const at = index(property);
      return at === undefined ? Reflect.get(target, property, receiver) : make(at);
    },
    has: (target, property) => index(property) !== undefined || Reflect.has(target, property),
    ownKeys: (target) => [...Array.from({ length }, (_, i) => String(i)), ...Reflect.ownKeys(target)],
    getOwnPropertyDescriptor(target, property) {
      if (property === 'length')
        return { value: length, writable: true, enumerable: false, configurable: false };
      const at = index(property);
      if (at === undefined) return Reflect.getOwnPropertyDescriptor(target, property);
      return { value: make(at), writable: false, enumerable: true, configurable: true };
    },
    set: refuse,
    defineProperty: refuse,
    deleteProperty: refuse,
  });
}
