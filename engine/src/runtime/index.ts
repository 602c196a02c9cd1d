/**
 * The model runtime (`@infix/engine/runtime`): onnxruntime sessions and their memory budget,
 * ONNX graph signatures, the ONNX graph builder, and checkpoint readers and writers. For node
 * packages that run or make models; onnxruntime itself loads on the first session, not here.
 */
export * from "./sessions/session-pool.ts";
export { cudaProviderInstalled } from "./sessions/cuda-probe.ts";
export * from "./onnx-signature/read-signature.ts";
export * from "./onnx-builder/index.ts";
export * from "./checkpoint/index.ts";
