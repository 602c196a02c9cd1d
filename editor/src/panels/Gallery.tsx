import { useState } from "react";
import { fileUrl } from "../api/client.ts";
import { describeSeeds } from "../state/job-history.ts";
import { useStudio, useStudioState } from "../state/react.ts";
import type { GalleryImage } from "../state/studio-store.ts";

/** Pictures the runs produced, newest first; click for full size, with a download link. */
export function Gallery() {
  const studio = useStudio();
  const gallery = useStudioState((s) => s.gallery);
  const [open, setOpen] = useState<GalleryImage | null>(null);
  return (
    <section className="gallery" aria-label="Gallery">
      <h2>Gallery</h2>
      {gallery.length === 0 && <p className="muted">Images from output nodes appear here.</p>}
      <div className="gallery__grid">
        {gallery.map((g) => (
          <button
            type="button"
            key={`${g.ref.folder}/${g.ref.name}`}
            className="gallery__item"
            onClick={() => setOpen(g)}
            title={`${g.ref.name}${g.seeds?.length ? ` · ${describeSeeds(g.seeds)}` : ""}`}
          >
            <img src={fileUrl(g.ref)} alt={`result ${g.ref.name}`} loading="lazy" />
            {g.seeds && g.seeds.length > 0 && (
              <span className="gallery__seed" data-testid="gallery-seed">
                {describeSeeds(g.seeds)}
              </span>
            )}
          </button>
        ))}
      </div>
      {open && (
        <div
          className="lightbox"
          role="dialog"
          aria-label={`Image ${open.ref.name}`}
          onClick={() => setOpen(null)}
          onKeyDown={(e) => e.key === "Escape" && setOpen(null)}
        >
          <img src={fileUrl(open.ref)} alt={open.ref.name} width={open.ref.width} height={open.ref.height} />
          <div className="lightbox__bar" onClick={(e) => e.stopPropagation()}>
            <span>
              {open.ref.name} · {open.ref.width}×{open.ref.height}
              {open.seeds?.length ? ` · ${describeSeeds(open.seeds)}` : ""}
            </span>
            <button
              type="button"
              onClick={() => {
                setOpen(null);
                studio.showJob(open.jobId);
              }}
            >
              Job…
            </button>
            <a href={fileUrl(open.ref)} download={open.ref.name.split("/").pop()}>
              Download
            </a>
            <button type="button" autoFocus onClick={() => setOpen(null)}>
              Close
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
