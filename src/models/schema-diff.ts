/**
 * What changed between two input schemas of a model (draft 2020-12, as cog-schema.ts makes them): inputs
 * added and removed, new defaults, enum values added or dropped, new bounds or types, newly required
 * inputs. `assetgen update` prints it when it moves a pin.
 */

type Json = Record<string, unknown>;

export interface SchemaChange {
  input: string;
  kind: 'added' | 'removed' | 'default' | 'enum' | 'range' | 'type' | 'required';
  /** One line, e.g. `input "steps": default 28 → 30`. */
  text: string;
}

const propertiesOf = (schema: Json): Record<string, Json> =>
  (typeof schema.properties === 'object' && schema.properties !== null ? schema.properties : {}) as Record<
    string,
    Json
  >;
const requiredOf = (schema: Json): Set<string> =>
  new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
const show = (value: unknown): string => (value === undefined ? 'none' : JSON.stringify(value));
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function rangeOf(prop: Json): string {
  const low = prop.minimum ?? prop.exclusiveMinimum;
  const high = prop.maximum ?? prop.exclusiveMaximum;
  if (low === undefined && high === undefined) return 'any';
  return `${low === undefined ? '…' : show(low)} to ${high === undefined ? '…' : show(high)}`;
}

function describeNew(name: string, prop: Json, required: boolean): string {
  const parts = [typeof prop.type === 'string' ? prop.type : 'value'];
  if (prop.format === 'uri') parts.push('file');
  if (prop.default !== undefined) parts.push(`default ${show(prop.default)}`);
  if (Array.isArray(prop.enum)) parts.push(`one of ${prop.enum.map(show).join(', ')}`);
  if (required) parts.push('required');
  return `input "${name}" added (${parts.join(', ')})`;
}

export function diffInputSchemas(before: Json, after: Json): SchemaChange[] {
  const [old, now] = [propertiesOf(before), propertiesOf(after)];
  const [oldRequired, nowRequired] = [requiredOf(before), requiredOf(after)];
  const changes: SchemaChange[] = [];
  const add = (input: string, kind: SchemaChange['kind'], text: string) =>
    changes.push({ input, kind, text });
  for (const [name, prop] of Object.entries(now)) {
    const was = old[name];
    if (was === undefined) {
      add(name, 'added', describeNew(name, prop, nowRequired.has(name)));
      continue;
    }
    if (!same(was.type, prop.type) || was.format !== prop.format) {
      add(
        name,
        'type',
        `input "${name}": type ${show(was.type)}${was.format ? ` (${was.format})` : ''} → ${show(prop.type)}${prop.format ? ` (${prop.format})` : ''}`,
      );
    }
    if (!same(was.default, prop.default))
      add(name, 'default', `input "${name}": default ${show(was.default)} → ${show(prop.default)}`);
    if (Array.isArray(was.enum) || Array.isArray(prop.enum)) {
      const [a, b] = [(was.enum ?? []) as unknown[], (prop.enum ?? []) as unknown[]];
      const gained = b.filter((v) => !a.some((w) => same(v, w)));
      const lost = a.filter((v) => !b.some((w) => same(v, w)));
      const parts = [
        ...(gained.length > 0 ? [`added ${gained.map(show).join(', ')}`] : []),
        ...(lost.length > 0 ? [`removed ${lost.map(show).join(', ')}`] : []),
      ];
      if (parts.length > 0) add(name, 'enum', `input "${name}": values ${parts.join('; ')}`);
    }
    if (rangeOf(was) !== rangeOf(prop))
      add(name, 'range', `input "${name}": range ${rangeOf(was)} → ${rangeOf(prop)}`);
    if (oldRequired.has(name) !== nowRequired.has(name))
      add(
        name,
        'required',
        `input "${name}": ${nowRequired.has(name) ? 'now required' : 'no longer required'}`,
      );
  }
  for (const name of Object.keys(old))
    if (now[name] === undefined) add(name, 'removed', `input "${name}" removed`);
  return changes;
}
