import { describe, expect, it } from 'vitest';
import { RepeatingPass } from '../../src/services/repeating-pass';

const IDLE_MS = 60_000;

/** A pass that waits until the test lets it finish, counting how many ran and how many overlapped. */
function controlledPass() {
  const finishers: Array<(outcome: number | Error) => void> = [];
  let running = 0;
  const state = { started: 0, overlapped: 0 };
  const pass = () =>
    new Promise<number>((resolve, reject) => {
      state.started += 1;
      running += 1;
      if (running > 1) state.overlapped += 1;
      finishers.push((outcome) => {
        running -= 1;
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      });
    });
  const finish = (outcome: number | Error = IDLE_MS) => finishers.shift()!(outcome);
  return { pass, finish, state };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('RepeatingPass', () => {
  it('keeps a wake-up that comes during a pass: one more pass runs right after it, never beside it', async () => {
    const { pass, finish, state } = controlledPass();
    const loop = new RepeatingPass(pass, () => IDLE_MS, () => {});
    loop.start(0);
    await until(() => state.started === 1);

    loop.wake();
    loop.wake();
    finish();
    await until(() => state.started === 2);
    finish();
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(state).toEqual({ started: 2, overlapped: 0 });
    await loop.stop();
  });

  it('runs the next pass as soon as a pass asks for it, and goes on after a pass that fails', async () => {
    const { pass, finish, state } = controlledPass();
    const failures: unknown[] = [];
    const loop = new RepeatingPass(pass, () => 0, (error) => failures.push(error));
    loop.start(0);
    await until(() => state.started === 1);

    finish(0);
    await until(() => state.started === 2);
    finish(new Error('database unreachable'));
    await until(() => state.started === 3);

    expect(failures).toEqual([new Error('database unreachable')]);
    finish();
    await loop.stop();
  });

  it('stops after the pass under way has finished, and runs none after', async () => {
    const { pass, finish, state } = controlledPass();
    const loop = new RepeatingPass(pass, () => 0, () => {});
    loop.start(0);
    await until(() => state.started === 1);

    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);

    finish(0);
    await stopping;
    loop.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(state.started).toBe(1);
  });
});
