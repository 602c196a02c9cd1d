import type { JobSummary } from "@infix/protocol";
import { formatMs } from "../canvas/StudioNode.tsx";
import { useStudio, useStudioState } from "../state/react.ts";

/** The server's queue: the running job, queued jobs (cancel, move to front) and recent history. */
export function QueuePanel() {
  const studio = useStudio();
  const queue = useStudioState((s) => s.queue);
  return (
    <section className="queue-panel" aria-label="Queue">
      <h2>
        Queue {queue.paused && <span className="pill">paused</span>}
        <button
          type="button"
          className="small"
          onClick={() => void (queue.paused ? studio.api.resumeQueue() : studio.api.pauseQueue())}
        >
          {queue.paused ? "Resume" : "Pause"}
        </button>
      </h2>
      {queue.jobs.length === 0 && <p className="muted">Nothing queued. Press Queue or Ctrl+Enter.</p>}
      <ol className="queue-panel__jobs">
        {queue.jobs.map((job) => (
          <JobRow
            key={job.id}
            job={job}
            onCancel={() => void studio.cancel(job.id)}
            onFront={() => void studio.front(job.id)}
            onOpen={() => studio.showJob(job.id)}
          />
        ))}
      </ol>
      {queue.omitted && queue.omitted.queued > 0 && (
        <p className="muted" data-testid="queue-omitted">
          and {queue.omitted.queued} more queued
        </p>
      )}
    </section>
  );
}

function JobRow({
  job,
  onCancel,
  onFront,
  onOpen,
}: {
  job: JobSummary;
  onCancel(): void;
  onFront(): void;
  onOpen(): void;
}) {
  const took = job.startedAt && job.finishedAt ? formatMs(job.finishedAt - job.startedAt) : undefined;
  return (
    <li className={`job job--${job.status}`} data-job-id={job.id} data-status={job.status}>
      <button
        type="button"
        className="job__label link"
        title={`Show this job's pictures, seed, log and workflow (${job.id})`}
        onClick={onOpen}
      >
        {job.label ?? job.id.slice(0, 8)}
      </button>
      <span className="job__status">
        {job.awaitingWorker ? "waiting for a worker" : job.status}
        {took ? ` · ${took}` : ""}
      </span>
      {job.error && <span className="job__error">{job.error.message}</span>}
      {job.status === "queued" && !job.awaitingWorker && (
        <button
          type="button"
          className="small"
          onClick={onFront}
          aria-label={`Move ${job.label ?? job.id} to the front`}
        >
          Front
        </button>
      )}
      {(job.status === "queued" || job.status === "running") && (
        <button type="button" className="small danger" onClick={onCancel} aria-label={`Cancel ${job.label ?? job.id}`}>
          Cancel
        </button>
      )}
    </li>
  );
}
