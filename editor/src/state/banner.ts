/**
 * The tiny-pack banner's small logic: the server's help text split into plain text, `code`
 * and links, and the user's "dismiss" remembered in the browser's storage.
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

export const BANNER_DISMISSED_KEY = "infix.tinyPackBanner.dismissed";

/** Whether the banner for this help text was dismissed (a new text shows again). */
export function bannerDismissed(storage: Pick<Storage, "getItem">, help: string): boolean {
  return storage.getItem(BANNER_DISMISSED_KEY) === help;
}

export function dismissBanner(storage: Pick<Storage, "setItem">, help: string): void {
  storage.setItem(BANNER_DISMISSED_KEY, help);
}
