/**
 * Workflow-task slots that give way to the API's ticket creates when the API and the worker share one process
 * (`npm start`). With both cores busy, a create waits for the event loop and for the Temporal server behind every
 * triage the worker runs meanwhile, while a triage loses little by waiting a moment in Temporal's task queue
 * (where tenants share dispatch fairly). So each create in flight takes two slots away from `max`, down
 * to `min`, and the worker takes all of them again as soon as the creates are answered. A slot already handed out
 * is never taken back: a workflow task in progress finishes. Measured in "Levers" (README): intake and triage
 * throughput both rise against a fixed slot count, which trades one for the other.
 */
import type { CustomSlotSupplier, SlotPermit, WorkflowSlotInfo } from '@temporalio/worker';
import type { IntakePressure } from '../platform/intake-pressure';

export interface IntakeFirstSlotsOptions {
  /** Workflow tasks at once while no create is in flight. */
  max: number;
  /** Workflow tasks at once however many creates are in flight (agents' actions and SLA timers still run). */
  min: number;
}

const SLOTS_PER_CREATE = 2;

export type IntakeFirstSlotSupplier = CustomSlotSupplier<WorkflowSlotInfo> & {
  /** Slots handed out and not yet released. */
  readonly issued: number;
  /** How many slots may be out now. */
  limit(): number;
};

export function intakeFirstSlotSupplier(
  pressure: IntakePressure,
  options: IntakeFirstSlotsOptions,
): IntakeFirstSlotSupplier {
  const { max, min } = options;
  if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1 && min <= max)) {
    throw new RangeError(`workflow task slots: need 1 ≤ min (${min}) ≤ max (${max})`);
  }
  let issued = 0;
  /** Reservations waiting for a slot, first come first served; each answers whether it took the slot. */
  const waiting: Array<() => boolean> = [];
  const limit = () => Math.max(min, max - SLOTS_PER_CREATE * pressure.inFlight);
  const grant = () => {
    while (waiting.length > 0 && issued < limit()) {
      if (waiting.shift()!()) issued += 1;
    }
  };
  pressure.onRelief(grant);
  return {
    type: 'custom',
    get issued() {
      return issued;
    },
    limit,
    reserveSlot(_ctx, abortSignal): Promise<SlotPermit> {
      if (waiting.length === 0 && issued < limit()) {
        issued += 1;
        return Promise.resolve({});
      }
      return new Promise<SlotPermit>((resolve, reject) => {
        let settled = false;
        const onAbort = () => {
          if (settled) return;
          settled = true;
          // The SDK expects the signal's own reason back: anything else it logs as an error.
          reject(abortSignal.reason);
        };
        if (abortSignal.aborted) {
          onAbort();
          return;
        }
        abortSignal.addEventListener('abort', onAbort, { once: true });
        waiting.push(() => {
          if (settled) return false;
          settled = true;
          abortSignal.removeEventListener('abort', onAbort);
          resolve({});
          return true;
        });
      });
    },
    tryReserveSlot(): SlotPermit | null {
      if (waiting.length > 0 || issued >= limit()) return null;
      issued += 1;
      return {};
    },
    markSlotUsed() {},
    releaseSlot() {
      issued -= 1;
      grant();
    },
  };
}
