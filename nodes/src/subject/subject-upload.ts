import type { UploadKind } from "@infix/engine";
import { decodeSubjectFile, SUBJECT_FILE_EXTENSION } from "./subject-file.ts";

/**
 * `.subject.json` uploads: Save Subject writes to output/ and Load Subject reads from input/,
 * so a subject travels by upload. The server accepts one only when Load Subject could read
 * it — the same parser, checksum included — so a broken file is refused at the door with the
 * parser's reason rather than failing later in a run.
 */
export const subjectUploadKind: UploadKind = {
  name: "subject",
  suffix: SUBJECT_FILE_EXTENSION,
  description: "subjects saved by Save Subject",
  check(bytes) {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return "it is not UTF-8 text";
    }
    const subject = decodeSubjectFile(text);
    return typeof subject === "string" ? subject : undefined;
  },
};
