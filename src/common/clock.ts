/**
 * The one source of "now" for every part: handlers, the calculator's callers and store timestamps.
 *
 * On AWS it is the real clock. The local runtime may warp it (`--speed 86400`: a day a second) by
 * setting SCHEDULER_CLOCK_ORIGIN (epoch ms of the warped "now" at SCHEDULER_CLOCK_REAL_ORIGIN) and
 * SCHEDULER_CLOCK_SPEED, so every module in the process agrees on the same warped time.
 */
export interface Clock {
  now(): Date;
}

export const realClock: Clock = { now: () => new Date() };

/** A clock that runs `speed` times faster than the real one from `origin` on. */
export function warpedClock(origin: number, speed: number, realOrigin = Date.now()): Clock {
  return { now: () => new Date(origin + (Date.now() - realOrigin) * speed) };
}

let current: Clock = clockFromEnv(process.env);

function clockFromEnv(env: NodeJS.ProcessEnv): Clock {
  const speed = Number(env.SCHEDULER_CLOCK_SPEED ?? '1');
  const origin = Number(env.SCHEDULER_CLOCK_ORIGIN ?? NaN);
  const realOrigin = Number(env.SCHEDULER_CLOCK_REAL_ORIGIN ?? NaN);
  if (!Number.isFinite(origin) || !Number.isFinite(realOrigin) || speed === 1) return realClock;
  return warpedClock(origin, speed, realOrigin);
}

export function now(): Date {
  return current.now();
}

/** Used by the local runtime and by tests that pin time. */
export function setClock(clock: Clock): void {
  current = clock;
}
