/** What a workflow history says about its activities: each step as `activity:<type>` or `local:<type>`. */
interface StepEvent {
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
  markerRecordedEventAttributes?: {
    markerName?: string | null;
    details?: Record<string, { payloads?: Array<{ data?: Uint8Array | string | null }> | null }> | null;
  } | null;
}

/** A local activity's marker holds its metadata as plain JSON (Core writes it, not the payload codec). */
function localActivityType(event: StepEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const data = marker.details?.data?.payloads?.[0]?.data;
  if (!data) return undefined;
  const json =
    typeof data === 'string' ? Buffer.from(data, 'base64').toString() : Buffer.from(data).toString();
  return (JSON.parse(json) as { activity_type?: string }).activity_type;
}

export function historySteps(events: readonly StepEvent[]): string[] {
  const steps: string[] = [];
  for (const event of events) {
    const regular = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (regular) steps.push(`activity:${regular}`);
    const local = localActivityType(event);
    if (local) steps.push(`local:${local}`);
  }
  return steps;
}
