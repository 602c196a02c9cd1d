/** Scheduler-owned output buffers: two that alternate, sized on first use, so a step allocates nothing. */
export class PingPongBuffers {
  private buffers: [Float32Array, Float32Array] | null = null;
  private next = 0;

  /** A buffer of `length` values that is not the one handed out last time. */
  take(length: number): Float32Array {
    if (!this.buffers || this.buffers[0].length !== length) {
      this.buffers = [new Float32Array(length), new Float32Array(length)];
    }
    const buffer = this.buffers[this.next];
    this.next = 1 - this.next;
    return buffer;
  }
}

/** A single reusable buffer, re-sized only when the length changes. */
export class ReusableBuffer {
  private buffer: Float32Array | null = null;

  take(length: number): Float32Array {
    if (!this.buffer || this.buffer.length !== length) this.buffer = new Float32Array(length);
    return this.buffer;
  }
}
