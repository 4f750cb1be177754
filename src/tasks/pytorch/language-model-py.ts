/**
 * The language model (task `generate`) in the exported Python: its torch.nn class for model.py
 * and its part of train.py (plain text tokenised as `TextTokenizer` does, read in parallel
 * streams with the state carried across chunks, or in random windows).
 */

/** Python of `LanguageModel` (models/language-model.ts). */
export const LANGUAGE_MODEL_PY = `

class TiedHead(nn.Module):
    """The output layer when weights are tied: logits = x @ embedding.weight.T + bias (only the bias is its own)."""

    def __init__(self, vocab_size):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(vocab_size))


class LanguageModel(nn.Module):
    """token ids (B, T) and a state (h (L, B, H), LSTM: (h, c)) or None for zeros
    -> logits (B, T, V) for the token after each step, and the state after the last step.

    Embedding -> dropout -> RNN/LSTM/GRU (dropout between layers) -> dropout -> Linear to the
    vocabulary; with tieWeights the output weight is the embedding table (head holds the bias only).
    Feed the returned state back (detached when training) to read a long text in pieces.
    """

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg["vocabSize"], cfg["embeddingDim"])
        self.inputDropout = nn.Dropout(cfg["dropout"])
        self.rnn = recurrent_layer(cfg, cfg["embeddingDim"], False)
        self.outputDropout = nn.Dropout(cfg["dropout"])
        self.head = TiedHead(cfg["vocabSize"]) if cfg["tieWeights"] else nn.Linear(cfg["hiddenSize"], cfg["vocabSize"])

    def forward(self, tokens, state=None):
        output, state = self.rnn(self.inputDropout(self.embedding(tokens)), state)
        output = self.outputDropout(output)
        if self.cfg["tieWeights"]:
            return nn.functional.linear(output, self.embedding.weight, self.head.bias), state
        return self.head(output), state
`;

/**
 * train.py's part for the language model: the text is split and encoded exactly as
 * data/text-tokenizer.ts does (NFC, CRLF as LF; chars: code points; words: the same pattern,
 * with Python's [^\W_] for JavaScript's [\p{L}\p{N}]; unknown words tried lower-cased, then
 * capitalised), and read as train/streams.ts reads it. Under torchrun the text is cut into
 * batch-size × processes streams and each process reads its batch-size of them, so every process
 * takes the same number of steps.
 */
export const GENERATE_TRAIN_PY = `

import re
import unicodedata

WORD = re.compile(r"\\n|[^\\W_]+(?:['\u2019][^\\W_]+)*|\\S")


def read_data(path):
    """The UTF-8 text of the file (a leading byte order mark dropped)."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    except UnicodeDecodeError as error:
        raise DataFileError(path, None, f"is not valid UTF-8 text (byte {error.start}); save it as UTF-8") from None
    text = text[1:] if text.startswith("\\ufeff") else text
    if not text.strip():
        raise DataFileError(path, None, "is empty: a language model needs text to learn from")
    return text


def split_text(text, level):
    """The tokens of a text: code points (chars) or words, punctuation and newlines (words)."""
    normal = unicodedata.normalize("NFC", text).replace("\\r\\n", "\\n").replace("\\r", "\\n")
    return list(normal) if level == "chars" else WORD.findall(normal)


def encode_text(text, config):
    """Token ids with the saved vocabulary; unknown tokens get <unk>'s id."""
    tokenizer = config["data"]["tokenizer"]
    level, saved = tokenizer["level"], tokenizer["vocabulary"]
    ids = {token: i for i, token in enumerate(saved["tokens"])}
    unknown = ids[saved["unkToken"]]
    out = []
    for token in split_text(text, level):
        if token in ids or level == "chars":
            out.append(ids.get(token, unknown))
            continue
        variants = (token.lower(), token[:1].upper() + token[1:].lower())
        out.append(next((ids[v] for v in variants if v in ids), unknown))
    return out


def make_dataset(text, config, path):
    ids = encode_text(text, config)
    if len(ids) < 2:
        raise DataFileError(path, None, f"{len(ids)} tokens are too few to learn the next one")
    return torch.tensor(ids, dtype=torch.int64)


def add_arguments(parser):
    parser.add_argument("--bptt", type=int, default=None, help="steps per chunk (default: the saved bptt)")
    parser.add_argument("--batching", choices=["streams", "windows"], default=None, help="default: the saved batching")


def make_batches(ids, args, config, rank, world):
    """epoch -> (inputs (N, t), targets (N, t), carry) of this process, N = --batch-size.

    streams: the text cut into N * world streams of S tokens; this process reads streams
    [rank * N, (rank + 1) * N) bptt steps at a time, carrying the state (carry is False at chunk 0).
    windows: random windows of bptt + 1 tokens, a zero state for each batch.
    """
    bptt = args.bptt or config["data"].get("bptt", 64)
    batching = args.batching or config["data"].get("batching", "streams")
    n = args.batch_size
    if batching == "windows":
        positions = len(ids) - bptt
        if positions < 1:
            raise DataFileError(args.data, None, f"{len(ids)} tokens are too few for windows of {bptt} steps")
        count = max(1, len(ids) // (n * world * bptt))

        def windows(epoch):
            g = torch.Generator().manual_seed(args.seed * 100003 + epoch * 1009 + rank)
            for _ in range(count):
                starts = torch.randint(positions, (n,), generator=g)
                rows = torch.stack([ids[s:s + bptt + 1] for s in starts.tolist()])
                yield rows[:, :-1], rows[:, 1:], False

        return windows
    streams = n * world
    length = len(ids) // streams
    if length < 2:
        raise DataFileError(args.data, None, f"{len(ids)} tokens make streams of {length} for {streams} streams (batch size x processes): need at least 2 each")
    mine = ids[:streams * length].reshape(streams, length)[rank * n:(rank + 1) * n]

    def chunks(epoch):
        for k, start in enumerate(range(0, length - 1, bptt)):
            t = min(bptt, length - 1 - start)
            yield mine[:, start:start + t], mine[:, start + 1:start + t + 1], k > 0

    return chunks


def count_of(batch):
    return batch[1].numel()


carried = {"state": None}  # the state after the last chunk, detached (truncated backpropagation through time)


def loss_of(model, batch):
    inputs, targets, carry = batch
    logits, state = model(inputs, carried["state"] if carry else None)
    carried["state"] = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
`;
