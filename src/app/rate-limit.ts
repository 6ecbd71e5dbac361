/**
 * Per-user rate limit on actions (messages and card clicks): a sliding window of `limit` actions
 * per `windowMs`. It protects the bot and the partners' chats from runaway clients and scripted
 * abuse, not a quota: 30 a minute is far above what a person clicking cards needs.
 * Per instance (in memory): with N instances a user gets at most N× the limit, which is acceptable
 * for its purpose; the count resets on restart.
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
  private lastSweep = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  /** Records an action at `nowMs`; false when the user is over the limit (the action is not counted). */
  tryTake(userId: string, nowMs: number): boolean {
    if (this.limit <= 0) return true;
    this.sweep(nowMs);
    const since = nowMs - this.windowMs;
    const recent = (this.hits.get(userId) ?? []).filter((t) => t > since);
    if (recent.length >= this.limit) {
      this.hits.set(userId, recent);
      return false;
    }
    recent.push(nowMs);
    this.hits.set(userId, recent);
    return true;
  }

  /** Drops users without recent actions so memory stays bounded by the number of active users. */
  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweep < this.windowMs) return;
    this.lastSweep = nowMs;
    const since = nowMs - this.windowMs;
    for (const [user, times] of this.hits) if (!times.some((t) => t > since)) this.hits.delete(user);
  }
}
