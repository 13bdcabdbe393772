/**
 * The floor: what Temporal itself costs on this machine for a ticket-shaped workflow, with nothing of the product
 * in it. `steps` do-nothing activities in sequence, as regular or as local activities.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { floorActivities } from './activities';

const regular = proxyActivities<typeof floorActivities>({ startToCloseTimeout: '30 seconds' });
const local = proxyLocalActivities<typeof floorActivities>({ startToCloseTimeout: '30 seconds' });

export async function floorRegular(steps: number): Promise<number> {
  for (let i = 0; i < steps; i++) await regular.step(i);
  return steps;
}

export async function floorLocal(steps: number): Promise<number> {
  for (let i = 0; i < steps; i++) await local.step(i);
  return steps;
}
