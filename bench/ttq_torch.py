"""Time-to-quality, PyTorch side (bench/ttq.mjs runs it; see bench/README.md).

Reads the split that bench/ttq.mjs wrote (JSON: vocabulary size, classes, train and test id
sequences with their labels, hyper-parameters, seconds), builds the same classifier as
recurrent's SequenceClassifier with pooling 'last' -- Embedding(V, E, padding_idx=0) ->
GRU/LSTM(E, H, batch_first) over each sequence's valid steps (pack_padded_sequence) -> the final
state -> Linear(H, classes) -- and trains it with Adam and cross-entropy on shuffled
mini-batches until the wall-clock budget is spent (checked after every step). Then it scores the
test split. Prints one line: BENCH_RESULT {json}.
"""
import json
import sys
import time

import torch
from torch import nn


class Classifier(nn.Module):
    def __init__(self, cell, vocab, emb, hidden, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=0)
        rnn = {'gru': nn.GRU, 'lstm': nn.LSTM, 'rnn': nn.RNN}[cell]
        self.rnn = rnn(emb, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, ids, lengths):
        x = self.embedding(ids)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, state = self.rnn(packed)
        h = state[0] if isinstance(state, tuple) else state
        return self.head(h[-1])


def pad(rows):
    lengths = torch.tensor([max(1, len(r)) for r in rows], dtype=torch.int64)
    ids = torch.zeros((len(rows), int(lengths.max())), dtype=torch.int64)
    for b, r in enumerate(rows):
        ids[b, : len(r)] = torch.tensor(r, dtype=torch.int64)
    return ids, lengths


def main():
    spec = json.loads(open(sys.argv[1], encoding='utf-8').read())
    torch.manual_seed(spec['seed'])
    hp = spec['hyper']
    model = Classifier(hp['cell'], spec['vocabSize'], hp['embeddingDim'], hp['hiddenSize'], len(spec['labels']))
    opt = torch.optim.Adam(model.parameters(), lr=hp['lr'])
    loss_fn = nn.CrossEntropyLoss()
    train_x, train_y = spec['train']['ids'], spec['train']['labels']
    n = len(train_x)
    gen = torch.Generator().manual_seed(spec['seed'])
    steps = 0
    epochs = 0
    start = time.perf_counter()
    budget = spec['seconds']
    done = False
    # epochs: full passes over the training split completed within the budget.
    while not done:
        order = torch.randperm(n, generator=gen).tolist()
        for i in range(0, n, hp['batchSize']):
            idx = order[i : i + hp['batchSize']]
            ids, lengths = pad([train_x[j] for j in idx])
            target = torch.tensor([train_y[j] for j in idx], dtype=torch.int64)
            opt.zero_grad()
            loss = loss_fn(model(ids, lengths), target)
            loss.backward()
            opt.step()
            steps += 1
            if time.perf_counter() - start >= budget:
                done = True
                break
        else:
            epochs += 1
    trained = time.perf_counter() - start
    model.eval()
    correct = 0
    test_x, test_y = spec['test']['ids'], spec['test']['labels']
    with torch.no_grad():
        for i in range(0, len(test_x), 256):
            ids, lengths = pad(test_x[i : i + 256])
            pred = model(ids, lengths).argmax(1).tolist()
            correct += sum(int(p == y) for p, y in zip(pred, test_y[i : i + 256]))
    print('BENCH_RESULT ' + json.dumps({
        'steps': steps,
        'epochs': epochs,
        'trainSeconds': trained,
        'accuracy': correct / len(test_x),
        'info': {'version': torch.__version__, 'threads': torch.get_num_threads()},
    }))


main()
