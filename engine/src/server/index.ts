/** The server's API for the CLI entry (bin/): start a server, and the providers it takes. */
export {
  createServer,
  DEFAULT_PORT,
  DEFAULT_MAX_UPLOAD_BYTES,
  type InfixServer,
  type ServerOptions,
} from "./server.ts";
export { folderExamples, type ExamplesProvider } from "./examples.ts";
export type { CacheControl } from "./routes/info.ts";
export { FileStore, type FileFolders, type FolderName } from "../files/file-store.ts";
