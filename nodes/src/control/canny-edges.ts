import {
  byteImageOf,
  cannyEdges,
  gaussianBlur,
  GAUSSIAN_BLUR_SIZES,
  grayToRgb,
  type NodeDefinition,
} from "@infix/engine";
import { inputError, intInput, stringInput, taggedInput } from "../inputs.ts";
import { mapImages } from "../image/map-images.ts";
import type { ImageBatch } from "../sockets.ts";

const BLUR_CHOICES = ["none", ...GAUSSIAN_BLUR_SIZES.map(String)];
/** The largest L1 Sobel magnitude of 8-bit input (4 · 255 · 2): thresholds above find nothing. */
const MAX_THRESHOLD = 2040;

/**
 * Canny Edges: the edge map the canny ControlNets were trained on, as `cv2.Canny(image, low,
 * high)` on the 8-bit picture (ControlNet's annotator passes RGB straight in; the strongest
 * channel's gradient wins), optionally after `cv2.GaussianBlur(image, (k, k), 0)`.
 */
export const cannyEdgesNode: NodeDefinition = {
  schema: {
    type: "CannyEdges",
    version: 1,
    category: "control",
    title: "Canny Edges",
    description:
      "White edges on black, exactly as OpenCV's cv2.Canny (Sobel 3×3, non-maximum suppression, hysteresis between the two thresholds); the condition picture for a canny ControlNet. Lower thresholds find more edges.",
    inputs: [
      { name: "image", type: "IMAGE" },
      {
        name: "low_threshold",
        type: "INT",
        widget: { kind: "INT", default: 100, min: 0, max: MAX_THRESHOLD },
        description: "Edges continue through pixels whose gradient exceeds this.",
      },
      {
        name: "high_threshold",
        type: "INT",
        widget: { kind: "INT", default: 200, min: 0, max: MAX_THRESHOLD },
        description: "Edges start at pixels whose gradient exceeds this.",
      },
      {
        name: "blur",
        type: "STRING",
        widget: { kind: "ENUM", default: "none", options: BLUR_CHOICES },
        description: "Gaussian blur kernel size before the edges (cv2.GaussianBlur, sigma from the size); calms noise.",
      },
      {
        name: "l2_gradient",
        type: "BOOLEAN",
        widget: { kind: "BOOLEAN", default: false },
        description: "Gradient magnitude √(dx²+dy²) instead of OpenCV's default |dx|+|dy|.",
      },
    ],
    outputs: [{ name: "image", type: "IMAGE" }],
    isOutput: false,
  },
  validate(values) {
    return typeof values.blur === "string" && !BLUR_CHOICES.includes(values.blur)
      ? [`blur "${values.blur}" must be one of ${BLUR_CHOICES.join(", ")}.`]
      : [];
  },
  async run(inputs) {
    const image = taggedInput<ImageBatch>(inputs, "image", "IMAGE");
    const low = intInput(inputs, "low_threshold", 0);
    const high = intInput(inputs, "high_threshold", 0);
    const blur = stringInput(inputs, "blur");
    if (!BLUR_CHOICES.includes(blur))
      throw inputError(
        "blur",
        `blur "${blur}" must be one of ${BLUR_CHOICES.join(", ")}.`,
        BLUR_CHOICES.join(" | "),
        blur,
      );
    const l2Gradient = inputs.l2_gradient === true;
    const edges = mapImages(image, (rgb) => {
      const source = blur === "none" ? byteImageOf(rgb) : gaussianBlur(byteImageOf(rgb), Number(blur));
      const data = cannyEdges(source, { low, high, l2Gradient });
      return grayToRgb({ width: rgb.width, height: rgb.height, channels: 1, data });
    });
    return { image: edges };
  },
};
