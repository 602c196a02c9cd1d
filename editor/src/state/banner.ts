/**
 * The notice banners' small logic (notices the node packages publish, e.g. "only the tiny
 * pack is installed"): the text split into plain text, `code` and links, and the user's
 * "dismiss" remembered in the browser's storage.
 */

export type HelpPart = { kind: "text" | "code" | "link"; text: string };

/**
 * Splits help text on backticks (a command to copy) and bare http(s) URLs.
 *
 * @example helpParts("run `infix pack pull x` now") // text "run ", code "infix pack pull x", text " now"
 */
export function helpParts(help: string): HelpPart[] {
  const parts: HelpPart[] = [];
  for (const [i, piece] of help.split("`").entries()) {
    if (!piece) continue;
    if (i % 2 === 1) {
      parts.push({ kind: "code", text: piece });
      continue;
    }
    for (const word of piece.split(/(https?:\/\/\S+)/)) {
      if (word) parts.push({ kind: /^https?:\/\//.test(word) ? "link" : "text", text: word });
    }
  }
  return parts;
}

/** Where a dismissal of the notice with this id is kept (its text: a new text shows again). */
export const bannerDismissedKey = (id: string) => `infix.notice.dismissed.${id}`;

/** Before notices came from node packages there was one banner, dismissed under this key; still honoured. */
const LEGACY_DISMISSED_KEY = "infix.tinyPackBanner.dismissed";

/** Whether this notice was dismissed (a new text for the same notice shows again). */
export function bannerDismissed(storage: Pick<Storage, "getItem">, notice: { id: string; text: string }): boolean {
  return (
    storage.getItem(bannerDismissedKey(notice.id)) === notice.text ||
    storage.getItem(LEGACY_DISMISSED_KEY) === notice.text
  );
}

export function dismissBanner(storage: Pick<Storage, "setItem">, notice: { id: string; text: string }): void {
  storage.setItem(bannerDismissedKey(notice.id), notice.text);
}
