#!/usr/bin/env python3
"""The PyTorch side of bench/lm/side-by-side.mjs: a char-LSTM trained for a fixed wall-clock time.

Usage: torch_lm.py SPEC_JSON. The spec names the token files written by the driver (int32, raw):
train ids and held-out ids, and the settings shared with the recurrent side:
vocab, embedding, hidden, layers, batch, bptt, lr, clip, seconds, streams, seed; and `threads`,
torch's intra-op threads (0: torch's default).

Training (the same as recurrent's generate task): the train ids cut into `batch` parallel
streams, chunks of `bptt` steps, the LSTM state carried across chunks and detached, Adam,
gradient-norm clipping, repeated epochs until `seconds` have passed (checked after each step).
Scoring: the held-out ids (a multiple of `streams` long) read as `streams` parallel streams with
the state carried, every token but each stream's first scored; bits per character.
Prints one line `LM_RESULT {json}`.
"""
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class CharLSTM(nn.Module):
    def __init__(self, vocab, embedding, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        self.rnn = nn.LSTM(embedding, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state):
        y, state = self.rnn(self.embedding(x), state)
        return self.head(y), state


def streams(ids, n):
    length = len(ids) // n
    return torch.from_numpy(ids[: n * length].astype(np.int64)).view(n, length)


def main():
    spec = json.loads(sys.argv[1])
    torch.manual_seed(spec['seed'])
    if spec['threads'] > 0:
        torch.set_num_threads(spec['threads'])
    train = streams(np.fromfile(spec['trainFile'], dtype=np.int32), spec['batch'])
    held = streams(np.fromfile(spec['heldOutFile'], dtype=np.int32), spec['streams'])
    model = CharLSTM(spec['vocab'], spec['embedding'], spec['hidden'], spec['layers'])
    optimizer = torch.optim.Adam(model.parameters(), lr=spec['lr'])
    bptt = spec['bptt']
    length = train.shape[1]
    steps = tokens = 0
    started = time.perf_counter()
    done = False
    epochs = 0
    while not done:
        state = None
        epochs += 1
        for start in range(0, length - 1, bptt):
            t = min(bptt, length - 1 - start)
            x = train[:, start:start + t]
            y = train[:, start + 1:start + t + 1]
            optimizer.zero_grad(set_to_none=True)
            logits, state = model(x, state)
            state = tuple(s.detach() for s in state)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), spec['clip'])
            optimizer.step()
            steps += 1
            tokens += y.numel()
            if time.perf_counter() - started >= spec['seconds']:
                done = True
                break
    seconds = time.perf_counter() - started
    model.eval()
    nll = 0.0
    count = 0
    with torch.inference_mode():
        state = None
        for start in range(0, held.shape[1] - 1, 256):
            t = min(256, held.shape[1] - 1 - start)
            logits, state = model(held[:, start:start + t], state)
            y = held[:, start + 1:start + t + 1]
            nll += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction='sum').item()
            count += y.numel()
    print('LM_RESULT ' + json.dumps({
        'peer': 'PyTorch %s' % torch.__version__, 'threads': torch.get_num_threads(), 'steps': steps, 'epochs': epochs,
        'tokens': tokens, 'seconds': seconds, 'tokensPerSecond': tokens / seconds, 'lastLoss': loss.item(),
        'bitsPerChar': nll / count / math.log(2), 'scored': count,
    }), flush=True)


if __name__ == '__main__':
    main()
