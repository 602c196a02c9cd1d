import type { NodePackage } from "../nodes/definition.ts";
import { blockingWait } from "./blocking.ts";
import { makeImage } from "./image.ts";
import { noteUploadKind } from "./note-upload.ts";
import { rangeList, sumList } from "./lists.ts";
import { addInts, intConstant } from "./numbers.ts";
import { saveText, showValue } from "./output.ts";
import { failNode, slowCount } from "./slow.ts";
import { joinText, pickOption, readTextFile } from "./text.ts";

/**
 * Built-in node types for tests of the engine, the queue and the server: integers, text,
 * a small image, slow work with progress and abort, lists, failures and output nodes.
 * Not served in production (`infix serve --test-nodes` serves them for tests and e2e).
 * This module is the testing entry point, `@infix/engine/testing`.
 */
export const testNodePackage: NodePackage = {
  name: "infix-testing",
  nodes: [
    intConstant,
    addInts,
    joinText,
    readTextFile,
    pickOption,
    makeImage,
    slowCount,
    blockingWait,
    failNode,
    rangeList,
    sumList,
    showValue,
    saveText,
  ],
  socketTypes: [
    { name: "INT", color: "#6bbd63", description: "An integer." },
    { name: "FLOAT", color: "#9ac46b", description: "A number." },
    { name: "STRING", color: "#c9a45b", description: "Text." },
    { name: "BOOLEAN", color: "#c46b6b", description: "True or false." },
    { name: "IMAGE", color: "#64b5f6", description: "An image tensor [B,3,H,W] in [0,1]." },
  ],
  uploadKinds: [noteUploadKind],
};

export { testOptionsKey } from "./text.ts";
export { noteUploadKind } from "./note-upload.ts";
export { recordEvents, testFiles, testResources, type RecordedEvent } from "./harness.ts";
export { headerOnlyPng } from "./header-only-png.ts";
export { startTestRedis, type TestRedis } from "../queue/bullmq/redis-server.test-support.ts";
/**
 * A node package's own tests run its workflows as the server does, through the real executor,
 * registry and output cache; node packages reach the host only through here, never in code they ship.
 */
export { Executor, type ExecutionEvents, type ExecutionResult, type WorkflowExecutor } from "../execution/index.ts";
export { NodeRegistry } from "../nodes/registry.ts";
export { OutputCache } from "../cache/index.ts";
