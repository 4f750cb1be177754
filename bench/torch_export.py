#!/usr/bin/env python3
"""Writes a PyTorch-exported recurrent layer as ONNX, as a PyTorch user would export it, for the
`recurrent predict MODEL.onnx --repeat` item of bench/run.mjs (bench/peers/onnx-predict.mjs).

  /usr/bin/python3 bench/torch_export.py '{"cell":"lstm","B":1,"T":100,"I":32,"H":64,"dir":"OUT"}'

Writes OUT/model.onnx (torch.onnx.export, opset 14, batch_first=True, dynamic batch and time
axes, constant folding on: the graph holds PyTorch's usual Shape/Gather/ConstantOfShape for the
zero initial state and the Transpose/Squeeze around the recurrent node) and OUT/x.npy, the input
(batch, time, input) drawn from a seeded generator. Prints one line `BENCH_RESULT {json}`.
"""
import json
import os
import sys

import numpy as np
import torch
from torch import nn

MARKER = 'BENCH_RESULT '


class Seq(nn.Module):
    """The layer with its full output (output, h[, c]) as the graph's outputs."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        out, state = self.rnn(x)
        return (out, *state) if isinstance(state, tuple) else (out, state)


def main():
    spec = json.loads(sys.argv[1])
    cell, B, T, I, H, out_dir = spec['cell'], spec['B'], spec['T'], spec['I'], spec['H'], spec['dir']
    torch.manual_seed(1234)
    layer = {'lstm': nn.LSTM, 'gru': nn.GRU, 'rnn': nn.RNN}[cell](I, H, batch_first=True)
    model = Seq(layer).eval()
    x = torch.rand(B, T, I, generator=torch.Generator().manual_seed(3)) - 0.5
    names = ['output', 'h', 'c'] if cell == 'lstm' else ['output', 'h']
    axes = {'x': {0: 'batch', 1: 'time'}, 'output': {0: 'batch', 1: 'time'}, 'h': {1: 'batch'}, 'c': {1: 'batch'}}
    path = os.path.join(out_dir, 'model.onnx')
    torch.onnx.export(model, (x,), path, opset_version=14, input_names=['x'], output_names=names,
                      dynamic_axes={k: v for k, v in axes.items() if k == 'x' or k in names}, do_constant_folding=True)
    np.save(os.path.join(out_dir, 'x.npy'), x.numpy())
    sys.stdout.write(MARKER + json.dumps({'onnxFile': path, 'inputFile': os.path.join(out_dir, 'x.npy'), 'torch': torch.__version__}) + '\n')


if __name__ == '__main__':
    try:
        main()
    except Exception as error:  # reported to the parent, which marks the item failed
        sys.stdout.write(MARKER + json.dumps({'error': f'{type(error).__name__}: {error}'}) + '\n')
        sys.exit(1)
