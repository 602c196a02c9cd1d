#!/usr/bin/env python3
"""Writes nodes/src/pack/tokenizer-fixtures.fixture.json: token ids of tricky prompts on the
tiny pack's CLIP and BERT vocabularies, computed by an implementation written here from the
published algorithms, independent of Infix's TypeScript tokenizers and of @huggingface/tokenizers.

    /usr/bin/python3 tools/tokenizer_vectors.py <tiny pack folder>
    (the folder: npx tsx -e 'import {ensureTinyPack} from "./nodes/src/pack/tiny/index.ts"; ensureTinyPack().then(console.log)')

Debian has no python3-transformers or python3-tokenizers, so the reference is re-implemented
(standard library only):
- CLIP: transformers' slow CLIPTokenizer without ftfy (what diffusers' BlipDiffusionPipeline
  runs when ftfy is absent): BasicTokenizer(strip_accents=False, do_split_on_punc=False) —
  drop NUL/U+FFFD/control characters (Unicode category C*), whitespace to spaces, spaces
  around CJK ideographs, NFC, split on whitespace, lowercase — joined by single spaces;
  then openai/CLIP simple_tokenizer.py: its pre-tokenizer pattern
  (<|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+),
  bytes_to_unicode, byte-pair merges by rank with '</w>' on a word's last symbol
  (Sennrich et al. 2016), <|startoftext|> ... <|endoftext|>.
- BERT (uncased): transformers' BasicTokenizer (clean text, CJK spacing, NFC, whitespace
  split, lowercase, strip accents by NFD minus Mn, split off punctuation) and WordPiece
  (greedy longest match first, '##' continuations, [UNK] for an unmatched word or one over
  100 characters), [CLS] ... [SEP] (Devlin et al. 2019; google-research/bert tokenization.py).
- Truncation and padding as transformers' __call__(truncation=True, max_length=n,
  padding="max_length"): the text's tokens cut to n - 2, then the specials, then pad ids.
"""
import hashlib
import json
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "nodes/src/pack/tokenizer-fixtures.fixture.json"

CLIP_PROMPTS = [
    "a dog",
    "A Photo of a DOG, running!!!",
    "MiXeD CaSe DoG iN ThE SnOw",
    "a   dog \t on\n\nthe    beach  ",
    "   leading and trailing spaces   ",
    "café crème brûlée, naïve façade",
    "cafe\u0301 (a decomposed accent, NFC makes it one letter)",
    "3 dogs and 12 cats in 2024, 1.5x faster, 100% sure",
    "the dog's owner isn't here; they're gone, we'll see, I'd say you've got it, I'm fine",
    "DOG'S toy, it''s odd, rock 'n' roll, 'quoted'",
    "\u201cquoted\u201d dog\u2019s \u2018toy\u2019 \u2014 em-dash\u2026",
    "a dog \U0001F436 and a cat \U0001F431\U0001F408 under a \u2600 sun",
    "dog.dog,dog!?dog...cat---red/blue",
    "#hashtag @user $5 & <html> {json} [x] ~tilde~ `code` ^caret^",
    "",
    "a photo of a dog, " * 20,
    "a red car on the beach at sunset, cinematic lighting, high quality, detailed, photorealistic, " * 3,
]

# Once known differences of Infix's CLIP tokenizer from the slow CLIPTokenizer, fixed by its
# BasicTokenizer cleanup (engine/src/runtime/tokenizers/clip-text-cleanup.ts): the slow one
# drops control and format characters (category C*, e.g. soft hyphen, zero-width joiner, \v,
# BEL) and spaces CJK ideographs apart.
CLIP_PROMPTS += [
    "\u72ac\u3068\u732b",
    "a dog\u00ad house",
    "\U0001F469\u200d\U0001F680 astronaut",
    "a\u0007bell",
    "tab\u000bvt",
]

# (text, why) for prompts where Infix is known to differ; flagged in the fixture and run as
# expected failures, so a fix shows up as a change. None at present.
CLIP_KNOWN_DIFFERENCES = []

# Agree with the slow tokenizer as well (checked): full-width letters, ligatures, dotted I,
# sharp s, ideographic and no-break spaces, emoji with a variation selector.
CLIP_PROMPTS += ["\u2764\ufe0f dog", "\uff46\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48", "\u0130stanbul stra\u00dfe", "\ufb01sh dog\u3000cat x\u00a0y"]

BERT_PROMPTS = [
    "dog",
    "Dog",
    "red  car",
    "TEDDY bear",
    "café crème",
    "cafe\u0301",
    "dog's toy",
    "t-shirt",
    "3 dogs",
    "12.5%",
    "dog\U0001F436",
    "\U0001F436 dog",
    "naïve façade",
    "a" * 101,
    "a" * 100,
    "hello, world!",
    "sneaker\tand\nbag",
    "",
    "\u72ac\u3068\u732b",
    "a dog\u00ad house",
    "\u0130stanbul stra\u00dfe",
    "\ufb01sh",
]

CLIP_MAX_LENGTHS = [77, 61]


# ---------------------------------------------------------------- shared text cleaning

def is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def clean_text(text):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or is_control(ch):
            continue
        out.append(" " if is_whitespace(ch) else ch)
    return "".join(out)


def space_cjk(text):
    return "".join(f" {ch} " if is_cjk(ord(ch)) else ch for ch in text)


# ---------------------------------------------------------------- CLIP

def bytes_to_unicode():
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    mapping = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


def clip_pretokenize(text):
    """findall of simple_tokenizer's pattern, written out by hand over Unicode categories."""
    pieces = []
    i = 0
    letter = lambda c: unicodedata.category(c).startswith("L")
    number = lambda c: unicodedata.category(c).startswith("N")
    space = lambda c: c.isspace()
    while i < len(text):
        rest = text[i:]
        special = next((s for s in ("<|startoftext|>", "<|endoftext|>") if rest.startswith(s)), None)
        if special:
            pieces.append(special)
            i += len(special)
            continue
        contraction = next((c for c in ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d") if rest.lower().startswith(c)), None)
        if contraction:
            pieces.append(rest[: len(contraction)])
            i += len(contraction)
            continue
        ch = text[i]
        if letter(ch):
            j = i
            while j < len(text) and letter(text[j]):
                j += 1
        elif number(ch):
            j = i + 1
        elif not space(ch):
            j = i
            while j < len(text) and not (letter(text[j]) or number(text[j]) or space(text[j])):
                j += 1
        else:
            i += 1
            continue
        pieces.append(text[i:j])
        i = j
    return pieces


class ClipReference:
    def __init__(self, folder):
        self.encoder = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        lines = (folder / "merges.txt").read_text(encoding="utf-8").split("\n")[1:]
        merges = [tuple(line.split()) for line in lines if line.strip()][: 49152 - 256 - 2]
        self.ranks = {pair: rank for rank, pair in enumerate(merges)}
        self.byte_encoder = bytes_to_unicode()
        self.start = self.encoder["<|startoftext|>"]
        self.end = self.encoder["<|endoftext|>"]
        self.pad = self.end  # special_tokens_map.json: pad_token <|endoftext|>

    def bpe(self, token):
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = {(word[k], word[k + 1]) for k in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged = []
            k = 0
            while k < len(word):
                if k + 1 < len(word) and (word[k], word[k + 1]) == best:
                    merged.append(word[k] + word[k + 1])
                    k += 2
                else:
                    merged.append(word[k])
                    k += 1
            word = merged
        return word

    def text_ids(self, text):
        cleaned = " ".join(unicodedata.normalize("NFC", space_cjk(clean_text(text))).split()).lower()
        ids = []
        for piece in clip_pretokenize(cleaned):
            if piece in ("<|startoftext|>", "<|endoftext|>"):
                ids.append(self.encoder[piece])
                continue
            symbols = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[s] for s in self.bpe(symbols))
        return ids

    def encode(self, text, max_length=None):
        ids = self.text_ids(text)
        if max_length is not None:
            ids = ids[: max_length - 2]
        ids = [self.start] + ids + [self.end]
        mask = [1] * len(ids)
        if max_length is not None:
            ids += [self.pad] * (max_length - len(ids))
            mask += [0] * (max_length - len(mask))
        return ids, mask


# ---------------------------------------------------------------- BERT

def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def strip_accents(text):
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def split_punctuation(token):
    pieces = []
    current = ""
    for ch in token:
        if is_punctuation(ch):
            if current:
                pieces.append(current)
            pieces.append(ch)
            current = ""
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


class BertReference:
    def __init__(self, folder):
        tokens = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")
        if tokens and tokens[-1] == "":
            tokens.pop()
        self.vocab = {}
        for index, token in enumerate(tokens):
            self.vocab.setdefault(token.rstrip("\r"), index)

    def basic(self, text):
        text = unicodedata.normalize("NFC", space_cjk(clean_text(text)))
        words = []
        for token in text.split():
            words.extend(split_punctuation(strip_accents(token.lower())))
        return words

    def wordpiece(self, word):
        if len(word) > 100:
            return [self.vocab["[UNK]"]]
        ids = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = ("##" if start > 0 else "") + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.vocab["[UNK]"]]
            ids.append(found)
            start = end
        return ids

    def encode(self, text):
        ids = [self.vocab["[CLS]"]]
        for word in self.basic(text):
            ids.extend(self.wordpiece(word))
        return ids + [self.vocab["[SEP]"]]


def digest(*paths):
    hash_ = hashlib.sha256()
    for path in paths:
        hash_.update(path.read_bytes())
    return hash_.hexdigest()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    pack = Path(sys.argv[1])
    clip_dir, bert_dir = pack / "tokenizer", pack / "qformer_tokenizer"
    clip, bert = ClipReference(clip_dir), BertReference(bert_dir)
    clip_cases = []
    for text, known in [(t, None) for t in CLIP_PROMPTS] + CLIP_KNOWN_DIFFERENCES:
        case = {"text": text, "ids": clip.encode(text)[0]}
        if known:
            case["known_difference"] = known
        for n in CLIP_MAX_LENGTHS:
            ids, mask = clip.encode(text, n)
            case[f"max_length_{n}"] = {"ids": ids, "attention_mask": mask}
        clip_cases.append(case)
    fixture = {
        "generator": "tools/tokenizer_vectors.py",
        "reference": "independent Python re-implementation (transformers slow CLIPTokenizer without ftfy; BertTokenizer uncased)",
        "vocab_sha256": {
            "clip": digest(clip_dir / "vocab.json", clip_dir / "merges.txt"),
            "bert": digest(bert_dir / "vocab.txt"),
        },
        "clip": clip_cases,
        "bert": [{"text": text, "ids": bert.encode(text)} for text in BERT_PROMPTS],
    }
    OUT.write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
