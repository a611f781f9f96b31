/**
 * Azure scheduled events (IMDS `/metadata/scheduledevents`): a `Preempt`
 * event announces the eviction of a Spot VM (at least 30 s ahead), a
 * `Terminate` event the deletion of the VM. Events are delivered to every VM
 * of an availability set or scale-set placement group, so only those whose
 * `Resources` name this VM count: its name is read once from
 * `/metadata/instance/compute/name`. Other event types (Reboot, Redeploy,
 * Freeze) keep the VM and are ignored. Every request carries `Metadata: true`.
 * Events are not acknowledged: the platform goes ahead at `NotBefore` anyway.
 */
import { metadataRequest } from './metadata-http.ts';
import { parseObject, parseTime } from './parse.ts';
import type { InterruptionNotice, NoticeKind, NoticeSource } from './types.ts';

/** The scheduled-events document. */
export const AZURE_EVENTS_PATH = '/metadata/scheduledevents';
/** The API version asked for. */
export const AZURE_EVENTS_API_VERSION = '2020-07-01';
/** This VM's name, as events name it in `Resources`. */
export const AZURE_NAME_PATH = '/metadata/instance/compute/name';

/** The event types that take the VM away, and what jobkit calls them. */
const STOPPING_EVENTS: Readonly<Record<string, NoticeKind>> = { preempt: 'preemption', terminate: 'termination' };

/** Options of {@link createAzureSource}. */
export interface AzureSourceOptions {
  /** IMDS base URL (`http://169.254.169.254`, or JOBKIT_INTERRUPTION_AZURE_ENDPOINT). */
  readonly endpoint: URL;
  /** Timeout of one request, in milliseconds. */
  readonly timeoutMs: number;
}

/**
 * A {@link NoticeSource} for Azure scheduled events.
 *
 * @example
 * ```ts
 * const azure = createAzureSource({ endpoint: new URL('http://169.254.169.254'), timeoutMs: 10_000 });
 * await azure.check(signal); // [] until a Preempt or Terminate event names this VM
 * ```
 */
export function createAzureSource(options: AzureSourceOptions): NoticeSource {
  const { endpoint, timeoutMs } = options;
  let vmName: string | undefined;

  const get = async (path: string, params: Record<string, string>, signal: AbortSignal): Promise<string> => {
    const url = new URL(path, endpoint);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    const res = await metadataRequest(url, { headers: { Metadata: 'true' }, timeoutMs, signal });
    if (res.status !== 200) throw new Error(`Azure IMDS GET ${path} answered HTTP ${res.status}`);
    return res.body;
  };

  return {
    provider: 'azure',
    longPoll: false,
    async check(signal) {
      vmName ??= (await get(AZURE_NAME_PATH, { 'api-version': '2021-02-01', format: 'text' }, signal)).trim();
      const body = await get(AZURE_EVENTS_PATH, { 'api-version': AZURE_EVENTS_API_VERSION }, signal);
      return parseScheduledEvents(body, vmName);
    },
  };
}

/**
 * The events of a scheduled-events document that take the VM `vmName` away.
 * An event with no `Resources` applies to every VM that sees it.
 *
 * @example
 * ```ts
 * parseScheduledEvents('{"DocumentIncarnation":1,"Events":[{"EventId":"e1","EventType":"Preempt","Resources":["vm-1"],' +
 *   '"EventStatus":"Scheduled","NotBefore":"Mon, 19 Sep 2016 18:29:47 GMT"}]}', 'vm-1')[0]?.kind; // 'preemption'
 * ```
 */
export function parseScheduledEvents(body: string, vmName: string): InterruptionNotice[] {
  const events = parseObject(body).Events;
  if (!Array.isArray(events)) return [];
  const notices: InterruptionNotice[] = [];
  for (const event of events as unknown[]) {
    if (typeof event !== 'object' || event === null) continue;
    const fields = event as Record<string, unknown>;
    const type = typeof fields.EventType === 'string' ? fields.EventType : '';
    const kind = STOPPING_EVENTS[type.toLowerCase()];
    if (kind === undefined) continue;
    const resources = Array.isArray(fields.Resources) ? fields.Resources.filter((r): r is string => typeof r === 'string') : [];
    if (resources.length > 0 && !resources.some((r) => r.toLowerCase() === vmName.toLowerCase())) continue;
    notices.push({ provider: 'azure', kind, action: type, time: parseTime(fields.NotBefore), source: AZURE_EVENTS_PATH });
  }
  return notices;
}
