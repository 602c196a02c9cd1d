import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import sharp from "sharp";
import { writeFileInside } from "../engine/src/files/safe-path.ts";

/**
 * Draws the examples' input pictures from code: small flat-colour subjects (a dog seen
 * from two sides, a kettle, a jacket, a flower), a backdrop for image-to-image, and
 * structure pictures for the ControlNet examples (a sitting dog, a house), rasterised
 * from shapes with 4×4 supersampling. Nothing is downloaded and no binary is committed;
 * the pictures are written into a server's or test's input folder on demand.
 */

type Rgb = readonly [number, number, number];
/** A shape: true where the point (in 0..1 picture coordinates) is inside. */
type Shape = (x: number, y: number) => boolean;

const ellipse =
  (cx: number, cy: number, rx: number, ry: number): Shape =>
  (x, y) =>
    ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
const rect =
  (x0: number, y0: number, x1: number, y1: number): Shape =>
  (x, y) =>
    x >= x0 && x <= x1 && y >= y0 && y <= y1;
/** Even-odd rule point-in-polygon. */
const polygon =
  (...points: [number, number][]): Shape =>
  (x, y) => {
    let inside = false;
    for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
      const [xi, yi] = points[i];
      const [xj, yj] = points[j];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  };
const ring =
  (cx: number, cy: number, r: number, width: number): Shape =>
  (x, y) =>
    Math.abs(Math.hypot(x - cx, y - cy) - r) <= width / 2;

/** A picture description: background (or transparent) then shapes painted in order. */
interface Scene {
  background: ((x: number, y: number) => Rgb) | null;
  layers: [Shape, Rgb][];
}

const BROWN: Rgb = [150, 95, 50];
const DARK_BROWN: Rgb = [90, 55, 30];
const BLACK: Rgb = [25, 20, 20];

function dog(facing: 1 | -1): Scene {
  const fx = (x: number) => (facing === 1 ? x : 1 - x);
  const mirror =
    (shape: Shape): Shape =>
    (x, y) =>
      shape(fx(x), y);
  return {
    background: (_x, y) => [200 - 40 * y, 225 - 30 * y, 240 - 20 * y],
    layers: [
      [mirror(rect(0, 0.82, 1, 1)), [110, 170, 90]],
      [mirror(ellipse(0.45, 0.58, 0.27, 0.15)), BROWN],
      ...[0.27, 0.38, 0.55, 0.63].map((x): [Shape, Rgb] => [mirror(rect(x - 0.035, 0.6, x + 0.035, 0.86)), BROWN]),
      [mirror(polygon([0.18, 0.5], [0.07, 0.33], [0.12, 0.32], [0.22, 0.48])), DARK_BROWN],
      [mirror(ellipse(0.72, 0.4, 0.13, 0.12)), BROWN],
      [mirror(ellipse(0.84, 0.45, 0.08, 0.055)), [175, 120, 75]],
      [mirror(ellipse(0.64, 0.4, 0.05, 0.11)), DARK_BROWN],
      [mirror(ellipse(0.92, 0.43, 0.022, 0.018)), BLACK],
      [mirror(ellipse(0.76, 0.36, 0.018, 0.018)), BLACK],
    ],
  };
}

function kettle(): Scene {
  const RED: Rgb = [200, 40, 45];
  return {
    // Transparent background: Load Image gives this one a mask.
    background: null,
    layers: [
      [ring(0.5, 0.32, 0.22, 0.05), BLACK],
      [polygon([0.72, 0.55], [0.92, 0.3], [0.95, 0.33], [0.78, 0.7]), RED],
      [ellipse(0.5, 0.62, 0.3, 0.27), RED],
      [rect(0.2, 0.85, 0.8, 0.9), [120, 20, 25]],
      [ellipse(0.5, 0.36, 0.1, 0.04), [60, 60, 60]],
      [ellipse(0.42, 0.55, 0.06, 0.1), [240, 140, 140]],
    ],
  };
}

function jacket(): Scene {
  const BLUE: Rgb = [40, 80, 160];
  return {
    background: () => [235, 235, 230],
    layers: [
      [polygon([0.3, 0.15], [0.1, 0.3], [0.05, 0.8], [0.18, 0.82], [0.25, 0.45]), BLUE],
      [polygon([0.7, 0.15], [0.9, 0.3], [0.95, 0.8], [0.82, 0.82], [0.75, 0.45]), BLUE],
      [polygon([0.3, 0.15], [0.7, 0.15], [0.76, 0.9], [0.24, 0.9]), BLUE],
      [polygon([0.38, 0.15], [0.5, 0.3], [0.62, 0.15]), [230, 220, 200]],
      [rect(0.49, 0.3, 0.51, 0.9), [200, 200, 200]],
      [rect(0.3, 0.6, 0.42, 0.64), [25, 45, 100]],
      [rect(0.58, 0.6, 0.7, 0.64), [25, 45, 100]],
    ],
  };
}

function beach(): Scene {
  return {
    background: (x, y) =>
      y < 0.55 ? [120 + 80 * y, 170 + 60 * y, 235] : y < 0.7 ? [40, 110 + 40 * x, 170] : [230, 205, 150],
    layers: [[ellipse(0.8, 0.2, 0.08, 0.08), [255, 230, 120]]],
  };
}

/** A dog sitting up, facing right: another pose for the ControlNet examples' structure. */
function sittingDog(): Scene {
  return {
    background: () => [235, 232, 222],
    layers: [
      [rect(0, 0.88, 1, 1), [160, 150, 130]],
      [ellipse(0.45, 0.62, 0.17, 0.26), BROWN],
      [ellipse(0.36, 0.8, 0.16, 0.1), BROWN],
      [rect(0.5, 0.62, 0.57, 0.9), BROWN],
      [polygon([0.22, 0.82], [0.08, 0.7], [0.1, 0.66], [0.26, 0.76]), DARK_BROWN],
      [ellipse(0.58, 0.28, 0.13, 0.12), BROWN],
      [ellipse(0.7, 0.33, 0.08, 0.055), [175, 120, 75]],
      [ellipse(0.5, 0.3, 0.05, 0.11), DARK_BROWN],
      [ellipse(0.78, 0.31, 0.022, 0.018), BLACK],
      [ellipse(0.62, 0.24, 0.018, 0.018), BLACK],
    ],
  };
}

/** A house: straight walls, a pitched roof, a door and windows — strong edges for Canny. */
function house(): Scene {
  const WALL: Rgb = [225, 210, 180];
  const WINDOW: Rgb = [120, 170, 210];
  return {
    background: (_x, y) => (y < 0.8 ? [170, 205, 235] : [100, 150, 80]),
    layers: [
      [rect(0.2, 0.45, 0.8, 0.85), WALL],
      [polygon([0.12, 0.47], [0.5, 0.15], [0.88, 0.47]), [160, 60, 50]],
      [rect(0.44, 0.62, 0.56, 0.85), [110, 70, 40]],
      [rect(0.26, 0.53, 0.38, 0.65), WINDOW],
      [rect(0.62, 0.53, 0.74, 0.65), WINDOW],
      [rect(0.66, 0.2, 0.72, 0.34), [130, 50, 45]],
    ],
  };
}

/** A flower painted in bold flat colours: the style picture of the style-transfer example. */
function flower(): Scene {
  const PETAL: Rgb = [235, 120, 170];
  const petals = [0, 1, 2, 3, 4, 5].map((i): [Shape, Rgb] => {
    const angle = (i * Math.PI) / 3;
    return [ellipse(0.5 + 0.17 * Math.cos(angle), 0.4 + 0.17 * Math.sin(angle), 0.12, 0.12), PETAL];
  });
  return {
    background: (x, y) => [250 - 30 * y, 240 - 20 * x, 200],
    layers: [
      [rect(0.48, 0.45, 0.52, 1), [60, 140, 60]],
      [ellipse(0.62, 0.78, 0.12, 0.05), [70, 160, 70]],
      ...petals,
      [ellipse(0.5, 0.4, 0.1, 0.1), [250, 200, 40]],
      [ring(0.5, 0.4, 0.1, 0.02), [200, 120, 30]],
    ],
  };
}

/** The pictures the examples use, by file name. */
export const EXAMPLE_PICTURES: Record<string, () => Scene> = {
  "dog.png": () => dog(1),
  "dog-left.png": () => dog(-1),
  "kettle.png": kettle,
  "jacket.png": jacket,
  "beach.png": beach,
  "dog-sitting.png": sittingDog,
  "house.png": house,
  "flower.png": flower,
  // Two views of the same dog for the multi-image example (Load Images reads the folder).
  "dog-views/right.png": () => dog(1),
  "dog-views/left.png": () => dog(-1),
};

const SUPERSAMPLE = 4;

/** Rasterises a scene to packed RGBA bytes of size×size. */
export function rasterise(scene: Scene, size: number): Uint8Array {
  const rgba = new Uint8Array(size * size * 4);
  const samples = SUPERSAMPLE * SUPERSAMPLE;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const x = (px + (sx + 0.5) / SUPERSAMPLE) / size;
          const y = (py + (sy + 0.5) / SUPERSAMPLE) / size;
          let colour: Rgb | null = scene.background ? scene.background(x, y) : null;
          for (const [shape, fill] of scene.layers) if (shape(x, y)) colour = fill;
          if (colour) {
            sum[0] += colour[0];
            sum[1] += colour[1];
            sum[2] += colour[2];
            sum[3] += 255;
          }
        }
      }
      const o = (py * size + px) * 4;
      // Colour is averaged over covered samples only (straight, not premultiplied, alpha).
      const covered = sum[3] / 255;
      for (let c = 0; c < 3; c++) rgba[o + c] = covered ? Math.round(sum[c] / covered) : 0;
      rgba[o + 3] = Math.round(sum[3] / samples);
    }
  }
  return rgba;
}

/**
 * Writes every example picture as a PNG of size×size into `folder` (created if needed),
 * skipping none: the drawing is deterministic, so rewriting gives identical bytes.
 * @returns the file names written
 * @example await writeExamplePictures("data/input/examples")
 */
export async function writeExamplePictures(folder: string, size = 128): Promise<string[]> {
  const names = Object.keys(EXAMPLE_PICTURES);
  for (const name of names) {
    const rgba = rasterise(EXAMPLE_PICTURES[name](), size);
    const png = await sharp(rgba, { raw: { width: size, height: size, channels: 4 } })
      .png()
      .toBuffer();
    // A link placed at a picture's name (or its folder, `examples` itself included) is replaced
    // or refused, never written through: the parent of `folder` is the root the check starts from.
    await writeFileInside(dirname(folder), `${basename(folder)}/${name}`, png);
  }
  return names;
}

/** Bump when a drawing changes, so folders drawn before are drawn again. */
export const EXAMPLE_PICTURES_VERSION = 1;
const STAMP_FILE = ".drawn.json";

/**
 * Like writeExamplePictures, but draws only when a picture is missing or was drawn by another
 * version or size: rasterising them costs about half a second, which every `infix run` and
 * server start would otherwise pay.
 */
export async function ensureExamplePictures(folder: string, size = 128): Promise<void> {
  const stamp = JSON.stringify({ version: EXAMPLE_PICTURES_VERSION, size });
  const current = await readFile(join(folder, STAMP_FILE), "utf8").catch(() => "");
  if (current === stamp && Object.keys(EXAMPLE_PICTURES).every((name) => existsSync(join(folder, name)))) return;
  await writeExamplePictures(folder, size);
  await writeFileInside(dirname(folder), `${basename(folder)}/${STAMP_FILE}`, stamp);
}

// `npx tsx examples/draw-subjects.ts <folder>` writes the pictures for a manual run.
if (process.argv[1]?.endsWith("draw-subjects.ts") && process.argv[2]) {
  const written = await writeExamplePictures(process.argv[2]);
  console.log(`wrote ${written.join(", ")} to ${process.argv[2]}`);
}
