import { Modal } from "./Modal.tsx";
import { BUILTIN_SHORTCUTS, SHORTCUTS } from "../canvas/shortcuts.ts";

/** Keyboard shortcuts, listed from the same table the key handler uses. */
export function HelpDialog({ onClose }: { onClose(): void }) {
  return (
    <Modal label="Keyboard shortcuts" title="Keyboard shortcuts" onClose={onClose}>
      <table className="shortcuts">
        <tbody>
          {[...SHORTCUTS, ...BUILTIN_SHORTCUTS].map((s) => (
            <tr key={s.keys}>
              <td>
                <kbd>{s.keys}</kbd>
              </td>
              <td>{s.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}
