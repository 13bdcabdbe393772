/**
 * The worker's workflow-task slots give way to the API's creates in flight (`npm start`): each create takes two
 * slots away, down to the minimum; slots come back as creates end; reservations wait their turn and can be
 * aborted the way the SDK aborts them.
 */
import type { SlotReserveContext } from '@temporalio/worker';
import { IntakePressure } from '../../src/platform/intake-pressure';
import { intakeFirstSlotSupplier } from '../../src/worker/intake-first-slots';

const ctx: SlotReserveContext = {
  slotType: 'workflow',
  taskQueue: 'q',
  workerIdentity: 'w',
  workerBuildId: '',
  isSticky: false,
};
const released = { permit: {} };
/** Settles pending promise reactions, so a granted reservation shows. */
const settle = () => new Promise((r) => setImmediate(r));

function reserveTracked(
  supplier: ReturnType<typeof intakeFirstSlotSupplier>,
  signal = new AbortController().signal,
) {
  const state = { granted: false, error: undefined as unknown };
  supplier.reserveSlot(ctx, signal).then(
    () => (state.granted = true),
    (error: unknown) => (state.error = error),
  );
  return state;
}

test('without creates in flight every slot is handed out, then reservations wait for a release', async () => {
  const supplier = intakeFirstSlotSupplier(new IntakePressure(), { max: 3, min: 1 });
  for (let i = 0; i < 3; i++) await supplier.reserveSlot(ctx, new AbortController().signal);
  expect(supplier.issued).toBe(3);
  expect(supplier.tryReserveSlot(ctx)).toBeNull();
  const waiting = reserveTracked(supplier);
  await settle();
  expect(waiting.granted).toBe(false);
  supplier.releaseSlot(released);
  await settle();
  expect(waiting.granted).toBe(true);
  expect(supplier.issued).toBe(3);
});

test('each create in flight takes two slots away, down to the minimum, and gives them back when it ends', async () => {
  const pressure = new IntakePressure();
  const supplier = intakeFirstSlotSupplier(pressure, { max: 10, min: 4 });
  expect(supplier.limit()).toBe(10);
  const ends = [pressure.enter(), pressure.enter()];
  expect(supplier.limit()).toBe(6);
  ends.push(pressure.enter(), pressure.enter(), pressure.enter());
  expect(supplier.limit()).toBe(4);

  for (let i = 0; i < 4; i++) expect(supplier.tryReserveSlot(ctx)).not.toBeNull();
  // Eager starts get no slot past the limit, and pollers wait.
  expect(supplier.tryReserveSlot(ctx)).toBeNull();
  const waiting = [reserveTracked(supplier), reserveTracked(supplier)];
  await settle();
  expect(waiting.some((w) => w.granted)).toBe(false);

  // Ending one create twice counts once.
  ends[0]!();
  ends[0]!();
  expect(pressure.inFlight).toBe(4);
  for (const end of ends.slice(1)) end();
  expect(supplier.limit()).toBe(10);
  await settle();
  expect(waiting.every((w) => w.granted)).toBe(true);
  expect(supplier.issued).toBe(6);
});

test('slots handed out are not taken back when creates arrive: the limit holds new reservations only', async () => {
  const pressure = new IntakePressure();
  const supplier = intakeFirstSlotSupplier(pressure, { max: 6, min: 2 });
  for (let i = 0; i < 6; i++) expect(supplier.tryReserveSlot(ctx)).not.toBeNull();
  const end = pressure.enter();
  pressure.enter();
  expect(supplier.limit()).toBe(2);
  const waiting = reserveTracked(supplier);
  // Four releases bring the count to the limit of 2: still no slot for the waiting reservation.
  for (let i = 0; i < 4; i++) supplier.releaseSlot(released);
  await settle();
  expect(supplier.issued).toBe(2);
  expect(waiting.granted).toBe(false);
  // One create ends: the limit is 4, so the reservation gets its slot.
  end();
  await settle();
  expect(waiting.granted).toBe(true);
  expect(supplier.issued).toBe(3);
});

test("an aborted reservation rejects with the signal's reason and never takes a slot", async () => {
  const supplier = intakeFirstSlotSupplier(new IntakePressure(), { max: 1, min: 1 });
  await supplier.reserveSlot(ctx, new AbortController().signal);
  const abort = new AbortController();
  const waiting = reserveTracked(supplier, abort.signal);
  const next = reserveTracked(supplier);
  abort.abort(new Error('poller stopped'));
  await settle();
  expect((waiting.error as Error).message).toBe('poller stopped');
  supplier.releaseSlot(released);
  await settle();
  // The slot went to the reservation behind the aborted one.
  expect(next.granted).toBe(true);
  expect(supplier.issued).toBe(1);

  const already = new AbortController();
  already.abort(new Error('already'));
  await expect(supplier.reserveSlot(ctx, already.signal)).rejects.toThrow('already');
});

test('an impossible range is refused', () => {
  expect(() => intakeFirstSlotSupplier(new IntakePressure(), { max: 2, min: 3 })).toThrow(RangeError);
  expect(() => intakeFirstSlotSupplier(new IntakePressure(), { max: 4, min: 0 })).toThrow(RangeError);
});
