import { describe, expect, it } from 'vitest';
import { createAdmission } from '../../src/run/admission.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('admission', () => {
  it('admits at most the model window into model work, and the total window in all', async () => {
    const admission = createAdmission({ remote: 4, local: 1 });
    expect(admission.modelWindow).toBe(16);
    expect(admission.totalWindow).toBe(20);
    const entered = await Promise.all(Array.from({ length: 16 }, () => admission.enter()));
    let next = false;
    const waiting = admission.enter().then((ticket) => {
      next = true;
      return ticket;
    });
    await tick();
    expect(next).toBe(false);
    // Finished with its models, an asset hands on its model place but keeps its place in the total.
    entered[0]?.modelsDone();
    await tick();
    expect(next).toBe(true);
    for (const ticket of entered.slice(1)) ticket.modelsDone();
    // The total window (20) holds the 17 entered so far and 3 more.
    const more = await Promise.all(Array.from({ length: 3 }, () => admission.enter()));
    expect(more).toHaveLength(3);
    let beyond = false;
    void admission.enter().then(() => {
      beyond = true;
    });
    await tick();
    expect(beyond).toBe(false);
    (await waiting).leave();
  });

  it('bounds assets waiting after their models (for the local pool) by the total window', async () => {
    const admission = createAdmission({ remote: 1, local: 1 });
    const all = [];
    for (let i = 0; i < admission.totalWindow; i++) {
      const ticket = await admission.enter();
      ticket.modelsDone();
      all.push(ticket);
    }
    let admitted = 0;
    for (let i = 0; i < 2; i++)
      void admission.enter().then(() => {
        admitted += 1;
      });
    await tick();
    expect(admitted).toBe(0);
    all[0]?.leave();
    all[0]?.leave(); // idempotent: frees one place, not two
    await tick();
    expect(admitted).toBe(1);
  });
});
