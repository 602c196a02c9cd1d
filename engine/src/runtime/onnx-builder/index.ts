/** A generic ONNX graph builder (opset 17) with seeded weights and common layers. */
export * from "./graph-builder.ts";
export * from "./layers.ts";
export * from "./attention.ts";
export * from "./seeded-random.ts";
export * from "./model-writer.ts";
