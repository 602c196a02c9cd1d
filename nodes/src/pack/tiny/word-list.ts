/**
 * The English words the tiny pack's tokenizers learn whole: those of our example prompts,
 * subjects and editing targets, so they tokenize to one token each (any other text still
 * tokenizes, letter by letter).
 */
export const TINY_WORDS: readonly string[] = [
  // articles, prepositions, connectives
  "a", "an", "the", "of", "in", "on", "at", "with", "and", "by", "to", "from", "under", "over", "near", "next", "behind", "for", "is", "as",
  // subjects
  "dog", "cat", "kettle", "jacket", "teapot", "cup", "mug", "shoe", "sneaker", "backpack", "bag", "toy", "bear", "teddy", "car", "bike",
  "vase", "plant", "flower", "robot", "statue", "chair", "lamp", "clock", "bottle", "candle", "hat", "sunglasses", "person", "man", "woman",
  "puppy", "kitten", "bird", "horse", "rabbit", "fox", "lion", "owl", "house", "tree", "boat", "guitar", "pizza", "cake", "apple",
  // scenes and places
  "beach", "forest", "city", "street", "mountain", "mountains", "snow", "desert", "river", "lake", "ocean", "sea", "sky", "garden",
  "park", "room", "kitchen", "table", "grass", "field", "space", "moon", "night", "sunset", "sunrise", "rain", "water", "underwater",
  "swimming", "running", "sitting", "standing", "sleeping", "flying", "wearing", "holding", "floating", "jumping",
  // styles
  "photo", "painting", "style", "drawing", "sketch", "watercolor", "oil", "cartoon", "anime", "pixel", "art", "render", "portrait",
  "van", "gogh", "monet", "picasso", "cubism", "impressionism", "realistic", "photorealistic", "detailed", "high", "quality", "low",
  "blurry", "ugly", "bad", "best", "masterpiece", "cinematic", "lighting", "close", "up", "view", "top", "side", "front",
  // colours and attributes
  "red", "green", "blue", "yellow", "black", "white", "pink", "purple", "orange", "brown", "gray", "golden", "silver", "wooden",
  "metal", "glass", "small", "big", "large", "tiny", "cute", "old", "new", "shiny", "colorful", "bright", "dark",
];
