/**
 * Progress lines while a benchmark runs: a timestamped step for each phase, and a status line every few
 * seconds during long waits, so a run is never silent for long (plain lines: fine in CI logs too).
 */
export class Progress {
  private readonly started = Date.now();
  private figure = '';

  setFigure(name: string): void {
    this.figure = name;
  }

  step(message: string): void {
    process.stdout.write(`[${this.elapsed()}] ${this.figure ? `${this.figure}: ` : ''}${message}\n`);
  }

  /**
   * Runs `work` while printing `status()` every `everyMs` (default 5 s). The status is best-effort: an
   * exception in it is shown, not thrown.
   */
  async during<T>(work: Promise<T>, status: () => string | Promise<string>, everyMs = 5_000): Promise<T> {
    const timer = setInterval(() => {
      Promise.resolve()
        .then(status)
        .then(
          (text) => this.step(`  ${text}`),
          (error: unknown) => this.step(`  (status unavailable: ${(error as Error).message})`),
        );
    }, everyMs);
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  }

  private elapsed(): string {
    const seconds = Math.floor((Date.now() - this.started) / 1000);
    return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
  }
}
