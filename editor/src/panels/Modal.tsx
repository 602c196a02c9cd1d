import type { ReactNode } from "react";

/**
 * The one dialog shell: a backdrop that closes on click, Escape to close, and a Close button
 * that takes focus so keyboard users land inside the dialog.
 */
export function Modal({
  label,
  title,
  onClose,
  children,
}: {
  label: string;
  title: string;
  onClose(): void;
  children: ReactNode;
}) {
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-label={label}
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => e.key === "Escape" && onClose()}
      >
        <h2>{title}</h2>
        {children}
        <button type="button" autoFocus onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
