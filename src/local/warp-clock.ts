/**
 * The local runtime's clock. `speed` warped seconds pass per real second (86400: a day a second); speed 0
 * means "skip waits": time runs at real pace but jumps to each run's planned time instead of sleeping.
 * Installed as the process clock (src/common/clock.ts) so handlers, store timestamps and the runtime agree.
 */
import type { Clock } from '../common/clock';

export class WarpClock implements Clock {
  private virtualOrigin: number;
  private realOrigin: number;

  constructor(
    readonly speed: number,
    start: number = Date.now(),
  ) {
    if (!(speed >= 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be 0 or more, got ${speed}`);
    this.virtualOrigin = start;
    this.realOrigin = Date.now();
  }

  now(): Date {
    const realElapsed = Date.now() - this.realOrigin;
    return new Date(this.virtualOrigin + realElapsed * (this.speed === 0 ? 1 : this.speed));
  }

  /** Move warped time forward to `ms` (never back). */
  advanceTo(ms: number): void {
    const behind = ms - this.now().getTime();
    if (behind > 0) this.virtualOrigin += behind;
  }

  /**
   * Resolve when warped time reaches `ms`, or at once with speed 0 (after moving the clock there).
   * Rejects with the signal's reason when aborted, so a stopped execution never runs its next step.
   */
  async sleepUntil(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.speed === 0) {
      this.advanceTo(ms);
      return;
    }
    // Re-check after each timer: a long sleep is cut into slices so timers stay within Node's limit.
    for (;;) {
      const remaining = (ms - this.now().getTime()) / this.speed;
      if (remaining <= 0) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(done, Math.min(remaining, 2 ** 31 - 1));
        function done() {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }
        function onAbort() {
          clearTimeout(timer);
          reject(signal?.reason);
        }
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }
}
