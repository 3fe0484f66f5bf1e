/**
 * The fault plan: a list of fault specs, each with its own match counter. A spec fires on the Nth matching
 * request (`nth`, default 1) and then on the next `times - 1` matches (`times` default 1), then is spent.
 */
import type {
  FaultSpec,
  FiredFault,
  RequestFault,
  RequestInfo,
  WebhookEvent,
  WebhookFault,
} from './types.js';

interface Entry {
  spec: FaultSpec;
  matched: number;
  fired: number;
}

export interface FaultPlan {
  /** Plans a fault; returns the plan for chaining. */
  add(spec: FaultSpec): FaultPlan;
  clear(): void;
  /** Specs that can still fire. */
  pending(): FaultSpec[];
  /** Every fault that fired, in order. */
  readonly fired: readonly FiredFault[];
  /** The fault for this request, if one fires (internal). */
  takeForRequest(request: RequestInfo): RequestFault | undefined;
  /** The fault for this webhook message, if one fires (internal). */
  takeForWebhook(event: WebhookEvent): WebhookFault | undefined;
}

function validate(spec: FaultSpec): void {
  const { times = 1, nth = 1 } = spec;
  if (!(times >= 1)) throw new Error(`fault times must be >= 1, got ${times}`);
  if (!Number.isInteger(nth) || nth < 1) throw new Error(`fault nth must be an integer >= 1, got ${nth}`);
}

export function createFaultPlan(initial: FaultSpec[] = []): FaultPlan {
  const entries: Entry[] = [];
  const fired: FiredFault[] = [];

  /** Counts the request against every live matching spec; the first one due fires. */
  const take = (matches: (spec: FaultSpec) => boolean, url?: string): FaultSpec | undefined => {
    let chosen: Entry | undefined;
    for (const entry of entries) {
      const { times = 1, nth = 1 } = entry.spec;
      if (entry.fired >= times || !matches(entry.spec)) continue;
      entry.matched += 1;
      if (chosen === undefined && entry.matched >= nth) chosen = entry;
    }
    if (chosen === undefined) return undefined;
    chosen.fired += 1;
    const record: FiredFault = { on: chosen.spec.on, type: chosen.spec.fault.type, match: chosen.matched };
    if (url !== undefined) record.url = url;
    fired.push(record);
    return chosen.spec;
  };

  const plan: FaultPlan = {
    add(spec) {
      validate(spec);
      entries.push({ spec, matched: 0, fired: 0 });
      return plan;
    },
    clear() {
      entries.length = 0;
    },
    pending: () => entries.filter((e) => e.fired < (e.spec.times ?? 1)).map((e) => e.spec),
    fired,
    takeForRequest(request) {
      const spec = take(
        (s) =>
          s.on !== 'webhook' &&
          (s.on === 'any' || s.on === request.kind) &&
          (s.match === undefined || s.match(request)),
        request.url,
      );
      return spec !== undefined && spec.on !== 'webhook' ? spec.fault : undefined;
    },
    takeForWebhook(event) {
      const spec = take((s) => s.on === 'webhook' && (s.event === undefined || s.event === event));
      return spec?.on === 'webhook' ? spec.fault : undefined;
    },
  };
  for (const spec of initial) plan.add(spec);
  return plan;
}
