/**
 * The node API (`@infix/engine`): what a node package such as nodes/ writes its nodes with —
 * the definition types, the graph core, tensors, images, schedulers, noise, tokenizers, .npy
 * and PNG metadata. No sessions, no executor, no server: a package that needs ONNX sessions or
 * checkpoint readers imports `@infix/engine/runtime`; what runs packages is `@infix/engine/host`
 * (and its network half `@infix/engine/server`); test helpers are `@infix/engine/testing`. Lint
 * keeps code outside engine/ to these entry points.
 */
export * from "./graph/index.ts";
export * from "./nodes/definition.ts";
export type { NodePackageInfo, PackageNotice, PackageResource, ResourceKindInfo } from "./protocol/index.ts";
export * from "./runtime/tensor.ts";
export * from "./runtime/sessions/float16.ts";
export * from "./runtime/tokenizers/types.ts";
export * from "./runtime/tokenizers/clip-tokenizer.ts";
export * from "./runtime/tokenizers/bert-tokenizer.ts";
export { TokenizerLoadError } from "./runtime/tokenizers/tokenizer-files.ts";
export * from "./runtime/image/rgb-image.ts";
export * from "./runtime/image/decode.ts";
export * from "./runtime/image/encode.ts";
export * from "./runtime/image/resize.ts";
export * from "./runtime/image/image-tensors.ts";
export * from "./runtime/image/pil-bicubic.ts";
export * from "./runtime/image/byte-image.ts";
export * from "./runtime/image/gaussian-blur.ts";
export * from "./runtime/image/canny.ts";
export * from "./runtime/image/fit.ts";
export * from "./runtime/schedulers/index.ts";
export * from "./runtime/noise/torch-generator.ts";
export * from "./runtime/npy/index.ts";
export * from "./files/png-metadata.ts";
export { writeFileInside } from "./files/safe-path.ts";
