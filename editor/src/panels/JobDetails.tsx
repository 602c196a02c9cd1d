import type { Job } from "@infix/protocol";
import { useEffect, useState } from "react";
import { fileUrl } from "../api/client.ts";
import { describeSeeds, galleryFromJob, jobLog, seedsOf } from "../state/job-history.ts";
import { useStudio, useStudioState } from "../state/react.ts";
import { Modal } from "./Modal.tsx";

/** A job from the queue or the gallery: its pictures, the seeds it ran with, its log, and its workflow to open. */
export function JobDetails() {
  const studio = useStudio();
  const jobId = useStudioState((s) => s.openJobId);
  const catalog = useStudioState((s) => s.catalog);
  const [job, setJob] = useState<Job | { unavailable: string } | null>(null);
  useEffect(() => {
    if (!jobId) return;
    let current = true;
    setJob(null);
    void studio.api.job(jobId).then((r) => current && setJob(r.ok ? r.value : { unavailable: r.error.message }));
    return () => void (current = false);
  }, [studio, jobId]);
  if (!jobId) return null;
  const close = () => studio.showJob(undefined);
  if (!job) return null;
  if ("unavailable" in job)
    return (
      <Modal label="Job" title="Job" onClose={close}>
        <p role="alert">{job.unavailable}</p>
      </Modal>
    );
  const seeds = seedsOf(job.workflow, catalog ? catalog.seedInputs : () => []);
  const images = galleryFromJob(job, seeds);
  return (
    <Modal label="Job details" title={job.label ?? `Job ${job.id.slice(0, 8)}`} onClose={close}>
      <p className="job-details__summary" data-testid="job-seeds">
        {job.status}
        {seeds.length > 0 && ` · ${describeSeeds(seeds)}`}
      </p>
      {images.length > 0 && (
        <div className="job-details__images">
          {images.map((g) => (
            <a key={`${g.ref.folder}/${g.ref.name}`} href={fileUrl(g.ref)} target="_blank" rel="noreferrer">
              <img src={fileUrl(g.ref)} alt={`output ${g.ref.name}`} width={g.ref.width} height={g.ref.height} />
            </a>
          ))}
        </div>
      )}
      <pre className="job-details__log" aria-label="Job log">
        {jobLog(job).join("\n")}
      </pre>
      <button
        type="button"
        className="primary"
        onClick={() => {
          close();
          void studio.openJobWorkflow(job.id);
        }}
      >
        Open its workflow
      </button>
    </Modal>
  );
}
