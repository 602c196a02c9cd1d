/** The engine's public API for node packages and the server entry. */
export * from "./graph/index.ts";
export * from "./nodes/definition.ts";
export * from "./runtime/tensor.ts";
export * from "./runtime/sessions/float16.ts";
export * from "./runtime/sessions/session-pool.ts";
export * from "./runtime/onnx-signature/read-signature.ts";
export * from "./runtime/tokenizers/types.ts";
export * from "./runtime/tokenizers/clip-tokenizer.ts";
export * from "./runtime/tokenizers/bert-tokenizer.ts";
export { TokenizerLoadError } from "./runtime/tokenizers/tokenizer-files.ts";
export * from "./runtime/image/rgb-image.ts";
export * from "./runtime/image/decode.ts";
export * from "./runtime/image/encode.ts";
export * from "./runtime/image/resize.ts";
export * from "./runtime/image/image-tensors.ts";
export * from "./runtime/onnx-builder/index.ts";
export * from "./files/png-metadata.ts";
