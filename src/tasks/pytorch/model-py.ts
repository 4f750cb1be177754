/**
 * The text of the exported `model.py`: safetensors I/O in plain PyTorch, the shared recurrent
 * helpers, and the task's architecture class (from its registry entry), whose attribute names
 * make PyTorch's parameter names equal ours (embedding.weight, rnn.weight_ih_l0, head.bias, ...),
 * so `weights.safetensors` loads with `load_state_dict(strict=True)`.
 */

/** Header and helpers; `{{task}}` is replaced by the task's name. */
const HEADER = `"""The {{task}} model of a \`recurrent\` model directory, as torch.nn modules.

Written by \`recurrent export --format pytorch\`. Parameter names are PyTorch's (embedding.weight,
rnn.weight_ih_l0, rnn.bias_hh_l0_reverse, head.weight, ...), so weights.safetensors loads with
load_state_dict(strict=True). Dimensions: B batch, T time, H hidden size, D directions (2 when
bidirectional), L layers, C classes or tags, F features per step.

    config = json.load(open("config.json"))
    model = build_model(config)
    model.load_state_dict(load_safetensors("weights.safetensors"))
"""
import json
import os
import struct

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

RNN_CLASSES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def load_safetensors(path):
    """The float32 tensors of a .safetensors file, by name."""
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    start = 8 + size
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        flat = torch.frombuffer(bytearray(data[start + begin:start + end]), dtype=torch.float32)
        tensors[name] = flat.reshape(info["shape"])
    return tensors


def save_safetensors(tensors, path, metadata=None):
    """Writes float32 tensors to a .safetensors file atomically (a temporary file, then a rename)."""
    header = {"__metadata__": metadata or {}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        array = tensors[name].detach().to(torch.float32).contiguous().cpu().numpy()
        blob = array.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(temporary, path)


def recurrent_layer(cfg, input_size, bidirectional):
    """nn.RNN / nn.LSTM / nn.GRU, batch first; dropout acts between layers only (as in PyTorch)."""
    return RNN_CLASSES[cfg["cell"]](input_size, cfg["hiddenSize"], num_layers=cfg["numLayers"], bidirectional=bidirectional,
                                    dropout=cfg["dropout"] if cfg["numLayers"] > 1 else 0.0, batch_first=True)


def hidden_state(state):
    """h_n (L*D, B, H) of any of the three (LSTM's state is (h_n, c_n))."""
    return state[0] if isinstance(state, tuple) else state


def run_packed(rnn, inputs, lengths):
    """inputs (B, T, F), lengths (B) -> outputs (B, T, D*H), zero past each length, and the final state."""
    packed = pack_padded_sequence(inputs, lengths.cpu(), batch_first=True, enforce_sorted=False)
    output, state = rnn(packed)
    output, _ = pad_packed_sequence(output, batch_first=True, total_length=inputs.shape[1])
    return output, state


def embed(module, x):
    """token ids (B, T) -> (B, T, E) through the embedding, or features (B, T, F) as they are."""
    return module.embedding(x) if module.embedding is not None else x


def encoder_parts(module, cfg):
    """The embedding (padding id 0) and the recurrent layer of a classifier or tagger."""
    module.embedding = nn.Embedding(cfg["vocabSize"], cfg["embeddingDim"], padding_idx=0) if cfg["vocabSize"] > 0 else None
    module.rnn = recurrent_layer(cfg, cfg["embeddingDim"] if cfg["vocabSize"] > 0 else cfg["inputSize"], cfg["bidirectional"])
    module.dropout = nn.Dropout(cfg["dropout"])
`;

/** Python of `SequenceClassifier` (models/classifier.ts). */
export const CLASSIFIER_PY = `

class SequenceClassifier(nn.Module):
    """token ids (B, T) and lengths (B) -> logits (B, C).

    Pooling over the valid steps: 'last' takes the top layer's final state of each direction
    (h_n[-D:], concatenated), 'mean' and 'max' reduce the outputs over steps < length.
    """

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        encoder_parts(self, cfg)
        directions = 2 if cfg["bidirectional"] else 1
        self.head = nn.Linear(directions * cfg["hiddenSize"], cfg["numClasses"])

    def forward(self, x, lengths):
        output, state = run_packed(self.rnn, embed(self, x), lengths)
        pooling = self.cfg["pooling"]
        if pooling == "last":
            directions = 2 if self.cfg["bidirectional"] else 1
            top = hidden_state(state)[-directions:]  # (D, B, H)
            pooled = top.permute(1, 0, 2).reshape(top.shape[1], -1)
        else:
            valid = (torch.arange(output.shape[1])[None, :] < lengths[:, None]).unsqueeze(2)
            if pooling == "mean":
                pooled = (output * valid).sum(1) / lengths[:, None].to(output.dtype)
            else:
                pooled = output.masked_fill(~valid, float("-inf")).max(1).values
        return self.head(self.dropout(pooled))
`;

/** Python of `SequenceTagger` (models/tagger.ts). */
export const TAGGER_PY = `

class SequenceTagger(nn.Module):
    """token ids (B, T) and lengths (B) -> logits (B, T, C); past a length the outputs are zero, so the logits are head.bias."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        encoder_parts(self, cfg)
        directions = 2 if cfg["bidirectional"] else 1
        self.head = nn.Linear(directions * cfg["hiddenSize"], cfg["numTags"])

    def forward(self, x, lengths):
        output, _ = run_packed(self.rnn, embed(self, x), lengths)
        return self.head(self.dropout(output))
`;

/** Python of `Forecaster` (models/forecaster.ts). */
export const FORECASTER_PY = `

class Forecaster(nn.Module):
    """window (B, T, F) -> forecast (B, horizon, F).

    'autoregressive': the head reads the top layer's final state, and each prediction is fed back
    as the next step's input (carrying the state). 'direct': one head output holds all steps.
    """

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.rnn = recurrent_layer(cfg, cfg["inputSize"], False)
        outputs = cfg["horizon"] * cfg["inputSize"] if cfg["mode"] == "direct" else cfg["inputSize"]
        self.head = nn.Linear(cfg["hiddenSize"], outputs)

    def forward(self, window, horizon=None):
        horizon = horizon or self.cfg["horizon"]
        _, state = self.rnn(window)
        prediction = self.head(hidden_state(state)[-1])
        if self.cfg["mode"] == "direct":
            return prediction.reshape(window.shape[0], horizon, self.cfg["inputSize"])
        steps = [prediction]
        for _ in range(1, horizon):
            _, state = self.rnn(prediction.unsqueeze(1), state)
            prediction = self.head(hidden_state(state)[-1])
            steps.append(prediction)
        return torch.stack(steps, 1)
`;

/** Python of `Seq2Seq` (models/seq2seq.ts, attention.ts): the teacher-forced forward that training uses. */
export const SEQ2SEQ_PY = `

class Seq2Seq(nn.Module):
    """source ids (B, S), source lengths (B), target input (B, T) starting with BOS -> logits (B, T, V).

    Teacher forcing (every decoder input is the true previous token), as train.py trains it;
    decoding (greedy or beam) stays in \`recurrent\` after import. The encoder's final state starts
    the decoder (bidirectional: tanh(bridge([h_fwd; h_bwd])) per layer, and the same for c).
    Attention over the encoder outputs M (B, S, D*H), padding masked out: 'luong' scores the
    decoder output h_t against key(M) after each step, out = tanh(combine([context; h_t]));
    'bahdanau' scores score(tanh(query(h_prev) + key(M))) before each step and feeds the context in.
    """

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        hidden, embedding = cfg["hiddenSize"], cfg["embeddingDim"]
        memory = (2 if cfg["bidirectionalEncoder"] else 1) * hidden
        kind = cfg["attention"]
        self.sourceEmbedding = nn.Embedding(cfg["sourceVocabSize"], embedding, padding_idx=0)
        self.targetEmbedding = nn.Embedding(cfg["targetVocabSize"], embedding, padding_idx=0)
        self.encoder = recurrent_layer(cfg, embedding, cfg["bidirectionalEncoder"])
        self.decoder = recurrent_layer(cfg, embedding + (memory if kind == "bahdanau" else 0), False)
        self.bridge = nn.Linear(2 * hidden, hidden) if cfg["bidirectionalEncoder"] else None
        self.attention = None
        if kind != "none":
            self.attention = nn.Module()
            self.attention.key = nn.Linear(memory, hidden, bias=False)
            if kind == "bahdanau":
                self.attention.query = nn.Linear(hidden, hidden, bias=False)
                self.attention.score = nn.Linear(hidden, 1, bias=False)
        self.combine = nn.Linear(memory + hidden, hidden) if kind == "luong" else None
        self.dropout = nn.Dropout(cfg["dropout"])
        self.head = nn.Linear(hidden + memory if kind == "bahdanau" else hidden, cfg["targetVocabSize"])

    def bridged(self, s):
        """(L*2, B, H) of a bidirectional encoder -> (L, B, H) for the decoder."""
        if self.bridge is None:
            return s
        return torch.stack([torch.tanh(self.bridge(torch.cat([s[2 * l], s[2 * l + 1]], 1))) for l in range(self.cfg["numLayers"])], 0)

    def embed_target(self, ids):  # (B, T) -> (B, T, E), dropped out in training
        return self.dropout(self.targetEmbedding(ids))

    def encode(self, source, lengths):
        output, state = run_packed(self.encoder, self.dropout(self.sourceEmbedding(source)), lengths)
        state = tuple(self.bridged(s) for s in state) if isinstance(state, tuple) else self.bridged(state)
        padding = torch.arange(source.shape[1])[None, :] >= lengths[:, None]  # (B, S)
        keys = self.attention.key(output) if self.attention is not None else output
        return state, (output, keys, padding)

    def attend(self, memory, queries):
        """queries (B, steps, H) -> contexts (B, steps, D*H)."""
        values, keys, padding = memory
        if self.cfg["attention"] == "luong":
            scores = queries @ keys.transpose(1, 2)
        else:
            scores = self.attention.score(torch.tanh(self.attention.query(queries).unsqueeze(2) + keys.unsqueeze(1))).squeeze(3)
        weights = scores.masked_fill(padding.unsqueeze(1), float("-inf")).softmax(-1)
        return weights @ values

    def project(self, output, memory, context):
        features = output
        if self.cfg["attention"] == "luong":
            features = torch.tanh(self.combine(torch.cat([self.attend(memory, output), output], 2)))
        elif context is not None:
            features = torch.cat([output, context], 2)
        return self.head(self.dropout(features))

    def forward(self, source, source_lengths, target_input):
        state, memory = self.encode(source, source_lengths)
        if self.cfg["attention"] != "bahdanau":
            output, _ = self.decoder(self.embed_target(target_input), state)
            return self.project(output, memory, None)
        logits = []
        for t in range(target_input.shape[1]):
            context = self.attend(memory, hidden_state(state)[-1].unsqueeze(1))
            output, state = self.decoder(torch.cat([self.embed_target(target_input[:, t:t + 1]), context], 2), state)
            logits.append(self.project(output, memory, context))
        return torch.cat(logits, 1)
`;

/** model.py for a task whose architecture is `classSource` defining `className`. */
export function modelPy(task: string, classSource: string, className: string): string {
  return `${HEADER.replaceAll('{{task}}', task)}${classSource}

def build_model(config):
    """The model of a config.json (its modelConfig holds every constructor setting)."""
    return ${className}(config["modelConfig"])
`;
}
