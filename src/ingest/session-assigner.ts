/**
 * Assigns a session id to events whose client sent none: a device's events share one session
 * until it is idle for the session gap. Bounded: the least recently active devices are forgotten
 * first (a forgotten device simply starts a new session id).
 */
export class SessionAssigner {
  private readonly devices = new Map<string, { sessionId: string; lastTime: number }>();

  constructor(
    private readonly gapMs: number,
    private readonly maxDevices = 200_000,
  ) {}

  assign(anonymousId: string, time: number): string {
    const known = this.devices.get(anonymousId);
    if (known && time - known.lastTime <= this.gapMs && known.lastTime - time <= this.gapMs) {
      if (time > known.lastTime) known.lastTime = time;
      // Re-insert so Map order stays least-recently-active first.
      this.devices.delete(anonymousId);
      this.devices.set(anonymousId, known);
      return known.sessionId;
    }
    const sessionId = `${anonymousId}.${time.toString(36)}`.slice(-128);
    this.devices.delete(anonymousId);
    this.devices.set(anonymousId, { sessionId, lastTime: time });
    if (this.devices.size > this.maxDevices) this.devices.delete(this.devices.keys().next().value!);
    return sessionId;
  }
}
