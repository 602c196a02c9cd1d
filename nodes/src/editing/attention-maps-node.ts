import { floatTensor, type NodeDefinition } from "@infix/engine";
import { inputError, numberInput, stringInput, taggedInput } from "../inputs.ts";
import type { ImageBatch, LatentBatch } from "../sockets.ts";
import type { AttentionMapsRecord } from "./attention-edit.ts";
import { maxPool3 } from "./local-blend.ts";

/** One tile: which row's picture, a label, and the low-resolution map to colour it with. */
interface Tile {
  readonly row: number;
  readonly label: string;
  readonly map: Float32Array;
  /** Pixels whose normalised value exceeds this are drawn at full strength (the blend tile). */
  readonly threshold?: number;
}

const GAP = 2;

/** A jet-like colour ramp for v in [0,1] (blue → cyan → yellow → red). */
export function heatColour(v: number): [number, number, number] {
  const c = (x: number) => Math.min(1, Math.max(0, x));
  return [c(1.5 - Math.abs(4 * v - 3)), c(1.5 - Math.abs(4 * v - 2)), c(1.5 - Math.abs(4 * v - 1))];
}

/** Σ over `keys` of a row's accumulated map, per low-resolution pixel. */
function sumKeys(record: AttentionMapsRecord, row: number, keys: readonly number[]): Float32Array {
  const plane = record.lowHeight * record.lowWidth;
  const out = new Float32Array(plane);
  for (let p = 0; p < plane; p++) {
    let sum = 0;
    for (const k of keys) sum += record.accumulated[(row * plane + p) * record.keys + k];
    out[p] = sum;
  }
  return out;
}

/** The tiles of one row: each chosen word (its pieces summed), the subject's keys together, and what the local blend saw. */
function rowTiles(record: AttentionMapsRecord, row: number, words: readonly string[] | null): Tile[] {
  const labels = record.keyLabels[row];
  const groups = new Map<string, number[]>();
  labels.forEach((label, k) => {
    const word = label.startsWith("<subject") ? "<subject>" : label.replace(/\[\d+\]$/, "");
    if (word === "<pad>" || word === "<start>" || word === "<end>") return;
    if (words && !words.includes(word) && !(word === "<subject>" && words.includes("subject"))) return;
    groups.set(word, [...(groups.get(word) ?? []), k]);
  });
  const tiles: Tile[] = [...groups].map(([label, keys]) => ({ row, label, map: sumKeys(record, row, keys) }));
  const indicator = record.blendWords?.[row];
  if (indicator && indicator.some((v) => v !== 0)) {
    const keys = Array.from(indicator.keys()).filter((k) => indicator[k] !== 0);
    const pooled = maxPool3(sumKeys(record, row, keys), 1, record.lowHeight, record.lowWidth);
    tiles.push({ row, label: "local blend", map: pooled, threshold: record.threshold });
  }
  return tiles;
}

/**
 * Attention Maps: the per-word cross-attention maps an edit run accumulated (the maps the
 * local blend reads: 1/4-resolution cross-attention, averaged over heads and layers, summed
 * over the run's UNet calls), each normalised to its maximum and drawn as a heat map over the
 * row's picture. One grid row per picture row (source, edited), one tile per word, the
 * subject's keys together, and a "local blend" tile where the part above the threshold is
 * drawn at full strength, the rest faded.
 */
export const attentionMapsNode: NodeDefinition = {
  schema: {
    type: "AttentionMaps",
    version: 1,
    category: "editing",
    title: "Attention Maps",
    description:
      "Shows where each word of the edit's prompts attends, as heat maps over the pictures (one grid row per picture: source, edited; one tile per word, then the local blend's view with the part above its threshold at full strength). Use it to choose blend words and a threshold. Wire the Sampler's latent (run with an Attention Controller) and the decoded pictures.",
    inputs: [
      { name: "latent", type: "LATENT", description: "The Sampler's output of an edit run (it carries the maps)." },
      { name: "images", type: "IMAGE", description: "The decoded pictures of that latent (VAE Decode)." },
      {
        name: "words",
        type: "STRING",
        description: "Comma-separated words to show; empty = every word ('subject' = the subject embedding's keys).",
        widget: { kind: "STRING", default: "" },
      },
      {
        name: "opacity",
        type: "FLOAT",
        description: "How strongly the heat map covers the picture.",
        widget: { kind: "FLOAT", default: 0.6, min: 0, max: 1, step: 0.05 },
      },
    ],
    outputs: [{ name: "images", type: "IMAGE" }],
    isOutput: false,
  },
  async run(inputs, ctx) {
    const latent = taggedInput<LatentBatch>(inputs, "latent", "LATENT");
    const images = taggedInput<ImageBatch>(inputs, "images", "IMAGE");
    const opacity = numberInput(inputs, "opacity");
    const record = latent.attention;
    if (!record)
      throw inputError(
        "latent",
        "This latent carries no attention maps: wire the output of a Sampler that ran with an Attention Controller.",
        "an edit's latent",
        "plain latent",
      );
    const [count, channels, height, width] = images.pixels.dims;
    if (count !== 2 || channels !== 3)
      throw inputError(
        "images",
        `Expected the edit's two pictures [2,3,H,W] (VAE Decode of the same latent), got [${images.pixels.dims.join(",")}].`,
        "[2,3,H,W]",
      );
    const wordsText = stringInput(inputs, "words").trim();
    const words = wordsText ? wordsText.split(",").map((w) => w.trim().toLowerCase()) : null;
    const rows = [rowTiles(record, 0, words), rowTiles(record, 1, words)];
    const columns = Math.max(1, ...rows.map((r) => r.length));
    if (rows.every((r) => r.length === 0))
      throw inputError("words", `None of "${wordsText}" is a word of the edit's prompts.`, "words of the prompts");
    const gridWidth = columns * width + (columns - 1) * GAP;
    const gridHeight = 2 * height + GAP;
    const plane = gridWidth * gridHeight;
    const pixels = new Float32Array(3 * plane).fill(1);
    const src = images.pixels.data;
    const { lowHeight, lowWidth } = record;
    rows.forEach((tiles, r) =>
      tiles.forEach((tile, column) => {
        let max = 0;
        for (const v of tile.map) max = Math.max(max, v);
        const threshold = tile.threshold === undefined ? undefined : Math.fround(tile.threshold);
        for (let y = 0; y < height; y++) {
          const ly = Math.min(Math.floor((y * lowHeight) / height), lowHeight - 1);
          for (let x = 0; x < width; x++) {
            const lx = Math.min(Math.floor((x * lowWidth) / width), lowWidth - 1);
            const v = max > 0 ? Math.fround(tile.map[ly * lowWidth + lx] / max) : 0;
            const strength = threshold === undefined ? opacity : v > threshold ? opacity : opacity * 0.25;
            const heat = heatColour(v);
            const out = (r * (height + GAP) + y) * gridWidth + column * (width + GAP) + x;
            for (let c = 0; c < 3; c++) {
              const picture = src[((tile.row * 3 + c) * height + y) * width + x];
              pixels[c * plane + out] = (1 - strength) * picture + strength * heat[c];
            }
          }
        }
      }),
    );
    ctx.show({
      text: rows.map(
        (tiles, r) =>
          `${r === 0 ? "source" : "edited"}: ${tiles.map((t) => t.label).join(" | ")} (${record.calls} calls)`,
      ),
    });
    const grid: ImageBatch = {
      type: "IMAGE",
      pixels: floatTensor([1, 3, gridHeight, gridWidth], pixels),
      sourceHashes: [],
    };
    return { images: grid };
  },
};
