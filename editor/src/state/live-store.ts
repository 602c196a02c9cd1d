import type { Problem } from "@infix/graph";
import type { NodeRunStatus, UiResultMessage } from "@infix/protocol";

/**
 * Live job state per node, apart from the document: a progress tick notifies only that
 * node's subscribers (InvokeAI's split). Progress and previews arriving between two
 * animation frames collapse into one update per node.
 */

export interface NodeLiveState {
  status?: NodeRunStatus | "queued";
  progress?: { step: number; total: number };
  /** data: URL of the latest preview picture. */
  preview?: string;
  ms?: number;
  error?: Problem;
  ui?: UiResultMessage;
  /** The seeds (by input name) this node's queued or running job uses: the widget has moved on to the next one. */
  runSeeds?: Readonly<Record<string, number>>;
  /** Validation problems found on this node by the last submit (400). */
  problems?: Problem[];
}

type Listener = () => void;
const EMPTY: NodeLiveState = Object.freeze({});

export interface FrameScheduler {
  request(callback: () => void): void;
}

const animationFrames: FrameScheduler = {
  request: (callback) =>
    typeof requestAnimationFrame === "function" ? requestAnimationFrame(() => callback()) : setTimeout(callback, 16),
};

export class LiveStore {
  private readonly states = new Map<string, NodeLiveState>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly anyListeners = new Set<Listener>();
  private pending = new Map<string, Partial<NodeLiveState>>();
  private frameRequested = false;

  constructor(private readonly frames: FrameScheduler = animationFrames) {}

  get(nodeId: string): NodeLiveState {
    return this.states.get(nodeId) ?? EMPTY;
  }

  /** Subscribes to one node's state; returns the unsubscribe function. */
  subscribe(nodeId: string, listener: Listener): () => void {
    let set = this.listeners.get(nodeId);
    if (!set) this.listeners.set(nodeId, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Subscribes to every change (the gallery, the run summary). */
  subscribeAll(listener: Listener): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  entries(): [string, NodeLiveState][] {
    return [...this.states.entries()];
  }

  /** Applies a change now (status changes must not wait for a frame). */
  update(nodeId: string, change: Partial<NodeLiveState>): void {
    const pendingChange = this.pending.get(nodeId);
    if (pendingChange) {
      this.pending.delete(nodeId);
      change = { ...pendingChange, ...change };
    }
    this.states.set(nodeId, { ...this.get(nodeId), ...change });
    this.emit(nodeId);
  }

  /** Queues a change for the next animation frame; later changes to the same node win. */
  batch(nodeId: string, change: Partial<NodeLiveState>): void {
    this.pending.set(nodeId, { ...this.pending.get(nodeId), ...change });
    if (this.frameRequested) return;
    this.frameRequested = true;
    this.frames.request(() => this.flush());
  }

  flush(): void {
    this.frameRequested = false;
    const pending = this.pending;
    this.pending = new Map();
    for (const [nodeId, change] of pending) {
      this.states.set(nodeId, { ...this.get(nodeId), ...change });
      this.emit(nodeId);
    }
  }

  /** Forgets the state of the given nodes (all when omitted), e.g. before a new run. */
  reset(nodeIds?: Iterable<string>): void {
    const ids = nodeIds ? [...nodeIds] : [...this.states.keys()];
    for (const id of ids) {
      this.pending.delete(id);
      if (this.states.delete(id)) this.emit(id);
    }
  }

  private emit(nodeId: string): void {
    for (const listener of this.listeners.get(nodeId) ?? []) listener();
    for (const listener of this.anyListeners) listener();
  }
}
