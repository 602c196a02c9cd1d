import type { Problem } from "../graph/problem.ts";
import type { Workflow } from "../graph/workflow.ts";
import type { ExecuteRequest, ExecutionResult, WorkflowExecutor } from "../execution/types.ts";

/**
 * Where the queue sends jobs to run. The queue decides which job is next; the dispatcher says
 * how many can start now and runs each on a worker. Today one worker (an executor, in this
 * process or in a worker thread); BullMQ workers on other machines later (issue #13, part 2).
 */
export interface JobDispatcher {
  /** Every problem with the workflow, checked by the coordinator before admission; [] when it can run. */
  validate(workflow: Workflow, targets?: string[]): Problem[];
  /** How many more jobs can start now. */
  freeSlots(): number;
  /** Runs one job; never throws for node failures or cancellation (the executor's contract). */
  run(request: ExecuteRequest): Promise<ExecutionResult>;
  /**
   * True when a job may wait after `run` (a farm's Redis, for a free worker): `run` then calls
   * `request.started()` when a worker takes it, and the queue shows it as queued until then.
   */
  readonly startsLater?: boolean;
}

/** One job at a time on one executor: the embedded default. */
export class SingleWorkerDispatcher implements JobDispatcher {
  private busy = false;

  constructor(private readonly executor: WorkflowExecutor) {}

  validate(workflow: Workflow, targets?: string[]): Problem[] {
    return this.executor.validate(workflow, targets);
  }

  freeSlots(): number {
    return this.busy ? 0 : 1;
  }

  async run(request: ExecuteRequest): Promise<ExecutionResult> {
    this.busy = true;
    try {
      return await this.executor.execute(request);
    } finally {
      this.busy = false;
    }
  }
}
