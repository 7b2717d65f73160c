// Multi-step side effects register their undo as they go, so a failure halfway leaves nothing behind.
export class Reverter {
  private readonly undos: Array<() => Promise<void> | void> = [];
  add(undo: () => Promise<void> | void): void {
    this.undos.push(undo);
  }
  /** Runs the undos, newest first; an undo that fails does not stop the others. */
  async revert(): Promise<void> {
    for (const undo of this.undos.reverse()) {
      try { await undo(); } catch { /* best effort: the original error matters more */ }
    }
    this.undos.length = 0;
  }
  success(): void {
    this.undos.length = 0;
  }
}
