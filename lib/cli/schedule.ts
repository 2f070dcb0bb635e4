// When the live view wakes: one timer for the earliest wake anyone asked for.
// Work happens when something is due, not on a fast tick.

/** One timer for the earliest wake asked for. */
export class Schedule {
  private timer: NodeJS.Timeout | null = null;
  private when = Infinity;

  at(when: number, run: () => void): void {
    if (this.timer && this.when <= when) return;
    this.cancel();
    this.when = when;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.when = Infinity;
      run();
    }, Math.max(0, when - Date.now()));
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.when = Infinity;
  }
}
