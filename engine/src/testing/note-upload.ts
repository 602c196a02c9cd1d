import type { UploadKind } from "../nodes/definition.ts";

/** The first control character other than tab, newline and carriage return (a sign of binary content), or -1. */
function firstControlCharacter(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return code;
  }
  return -1;
}

/**
 * The test package's upload kind: a `.note.txt` holding UTF-8 text (Read Text File style
 * nodes read it). Lets the engine's upload tests use a declared kind without any real package.
 */
export const noteUploadKind: UploadKind = {
  name: "note",
  suffix: ".note.txt",
  description: "text notes",
  check(bytes) {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return "it is not UTF-8 text";
    }
    if (text.trim() === "") return "it holds no text";
    const control = firstControlCharacter(text);
    if (control >= 0) return `it holds the control character U+${control.toString(16).padStart(4, "0")}`;
    return undefined;
  },
};
