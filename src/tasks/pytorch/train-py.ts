/**
 * The text of the exported `train.py`: reads a data file in the formats `recurrent train --data`
 * reads (CSV/TSV with a header, JSONL; plain text for the language model), encodes it with the
 * saved vocabulary, labels or scaling of config.json (the task's part: `make_dataset` and
 * `loss_of`, from its registry entry), and trains with DistributedDataParallel when started by
 * torchrun (WORLD_SIZE > 1), else in one process. Rank 0 writes weights.safetensors, config.json
 * and model.py into --out, which `recurrent import --format pytorch` reads.
 *
 * The header defines defaults that a task part may redefine (it comes after them):
 * `read_data(path)` (records of a CSV/TSV/JSONL file), `add_arguments(parser)` (none),
 * `make_batches(dataset, args, config, rank, world)` (a shuffled DataLoader, a DistributedSampler
 * share per process) and `count_of(batch)` (the examples in a batch, for the mean loss).
 */

const HEADER = `"""Continue training the exported {{task}} model in PyTorch, on one process or many (DDP).

    python3 train.py --data FILE --epochs N --out DIR
    torchrun --nproc_per_node=2 train.py --data FILE --epochs N --out DIR --backend gloo

FILE is what \`recurrent train --task {{task}} --data\` reads (CSV, TSV or JSONL; plain text for generate).
It is encoded with what config.json saved (vocabulary, labels or tags, scaling), never re-fitted,
so the trained weights mean the same to \`recurrent\`. Rank 0 writes DIR/weights.safetensors,
DIR/config.json and DIR/model.py; then \`recurrent import --format pytorch DIR --out MODEL_DIR\`.
Written by \`recurrent export --format pytorch\`.
"""
import argparse
import csv
import json
import os
import shutil
import sys

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import build_model, load_safetensors, save_safetensors  # noqa: E402


class DataFileError(Exception):
    """A problem in the data file, named by file and line."""

    def __init__(self, path, line, message):
        super().__init__(f"{path}{':' + str(line) if line else ''}: {message}")


def read_records(path):
    """(line number, record) pairs of a CSV/TSV (header first) or JSONL file."""
    extension = os.path.splitext(path)[1].lower()
    with open(path, encoding="utf-8-sig", newline="") as f:
        if extension in (".jsonl", ".ndjson"):
            return [(n, json.loads(line)) for n, line in enumerate(f, 1) if line.strip()]
        if extension not in (".csv", ".tsv", ".tab"):
            raise DataFileError(path, None, "expected a .csv, .tsv, .tab, .jsonl or .ndjson file")
        reader = csv.DictReader(f, delimiter="\\t" if extension in (".tsv", ".tab") else ",")
        return [(reader.line_num, row) for row in reader if any((value or "").strip() for value in row.values())]


def field(path, line, record, key):
    if key not in record or record[key] is None or record[key] == "":
        raise DataFileError(path, line, f"missing '{key}'")
    return record[key]


def tokens_of(value):
    """A list field: a JSON array, or tokens separated by spaces."""
    return [str(t) for t in value] if isinstance(value, list) else str(value).split()


class Vocabulary:
    """The saved vocabulary: ids in token order; unknown tokens get the unknown token's id."""

    def __init__(self, saved):
        self.ids = {token: i for i, token in enumerate(saved["tokens"])}
        self.unknown = self.ids.get(saved["unkToken"]) if saved.get("unkToken") is not None else None

    def encode(self, tokens, path, line):
        ids = []
        for token in tokens:
            if token in self.ids:
                ids.append(self.ids[token])
            elif self.unknown is not None:
                ids.append(self.unknown)
            else:
                raise DataFileError(path, line, f"token '{token}' is not in the saved vocabulary")
        return ids


def read_data(path):
    """What make_dataset reads: the records of the data file (a task part may redefine this)."""
    return read_records(path)


def add_arguments(parser):
    """The task's own command-line options (a task part may redefine this)."""


def make_batches(dataset, args, config, rank, world):
    """epoch -> the batches of this process: shuffled, each process its DistributedSampler share under torchrun."""
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=args.seed) if world > 1 else None
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler, shuffle=sampler is None)

    def epoch_batches(epoch):
        if sampler is not None:
            sampler.set_epoch(epoch)
        return loader

    return epoch_batches


def count_of(batch):
    """How many examples a batch holds (weights its mean loss in the epoch's mean)."""
    return len(batch[0])


def pad(rows, value):
    """Lists of ids -> (B, T) int64 padded with value, and lengths (B)."""
    lengths = torch.tensor([max(1, len(r)) for r in rows], dtype=torch.int64)
    out = torch.full((len(rows), int(lengths.max())), value, dtype=torch.int64)
    for b, r in enumerate(rows):
        out[b, :len(r)] = torch.tensor(r, dtype=torch.int64)
    return out, lengths
`;

/** The classify part: text -> label id with the saved vocabulary and labels. */
export const CLASSIFY_TRAIN_PY = `

def make_dataset(records, config, path):
    vocabulary = Vocabulary(config["data"]["vocabulary"])
    labels = {label: i for i, label in enumerate(config["data"]["labels"])}
    ids, targets = [], []
    for line, record in records:
        label = str(field(path, line, record, "label")).strip()
        if label not in labels:
            raise DataFileError(path, line, f"label '{label}' is not one of the model's labels ({', '.join(labels)})")
        ids.append(vocabulary.encode(list(str(field(path, line, record, "text"))), path, line))
        targets.append(labels[label])
    tokens, lengths = pad(ids, 0)
    return TensorDataset(tokens, lengths, torch.tensor(targets, dtype=torch.int64))


def loss_of(model, batch):
    tokens, lengths, targets = batch
    width = int(lengths.max())
    return F.cross_entropy(model(tokens[:, :width], lengths), targets)
`;

/** The tag part: one tag per character, padding ignored in the loss. */
export const TAG_TRAIN_PY = `

IGNORE = -100


def make_dataset(records, config, path):
    vocabulary = Vocabulary(config["data"]["vocabulary"])
    tag_ids = {tag: i for i, tag in enumerate(config["data"]["tags"])}
    ids, targets = [], []
    for line, record in records:
        characters = list(str(field(path, line, record, "input")))
        tags = tokens_of(field(path, line, record, "tags"))
        if len(tags) != len(characters):
            raise DataFileError(path, line, f"{len(tags)} tags for {len(characters)} characters")
        unknown = [t for t in tags if t not in tag_ids]
        if unknown:
            raise DataFileError(path, line, f"tag '{unknown[0]}' is not one of the model's tags")
        ids.append(vocabulary.encode(characters, path, line))
        targets.append([tag_ids[t] for t in tags])
    tokens, lengths = pad(ids, 0)
    tags, _ = pad(targets, IGNORE)
    return TensorDataset(tokens, lengths, tags)


def loss_of(model, batch):
    tokens, lengths, tags = batch
    width = int(lengths.max())
    logits = model(tokens[:, :width], lengths)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tags[:, :width].reshape(-1), ignore_index=IGNORE)
`;

/** The forecast part: seasonal differences, standardised with the saved scaling, in windows. */
export const FORECAST_TRAIN_PY = `

def make_dataset(records, config, path):
    data = config["data"]
    values = []
    for line, record in records:
        try:
            values.append(float(str(field(path, line, record, "value")).strip()))
        except ValueError:
            raise DataFileError(path, line, f"value '{record['value']}' is not a number") from None
    season, length, horizon = data["season"], data["inputLength"], data["horizon"]
    mean, std = data["scaling"]["mean"], data["scaling"]["std"]
    scaled = [((values[t] - values[t - season]) - mean) / std for t in range(season, len(values))]
    windows = [scaled[s:s + length + horizon] for s in range(len(scaled) - length - horizon + 1)]
    if not windows:
        raise DataFileError(path, None, f"{len(values)} values are too few: a window needs {season + length + horizon}")
    series = torch.tensor(windows, dtype=torch.float32).unsqueeze(2)  # (N, length + horizon, 1)
    return TensorDataset(series[:, :length], series[:, length:])


def loss_of(model, batch):
    window, target = batch
    return F.mse_loss(model(window), target)
`;

/** The seq2seq part: source characters and target tokens with the saved vocabularies; teacher forcing. */
export const SEQ2SEQ_TRAIN_PY = `

def make_dataset(records, config, path):
    source_vocabulary = Vocabulary(config["data"]["sourceVocabulary"])
    target_vocabulary = Vocabulary(config["data"]["targetVocabulary"])
    bos, eos = config["modelConfig"]["bosId"], config["modelConfig"]["eosId"]
    sources, inputs, outputs = [], [], []
    for line, record in records:
        sources.append(source_vocabulary.encode(list(str(field(path, line, record, "source"))), path, line))
        target = target_vocabulary.encode(tokens_of(field(path, line, record, "target")), path, line)
        inputs.append([bos] + target)
        outputs.append(target + [eos])
    source, lengths = pad(sources, 0)
    target_input, _ = pad(inputs, 0)
    target_output, _ = pad(outputs, 0)
    return TensorDataset(source, lengths, target_input, target_output)


def loss_of(model, batch):
    source, lengths, target_input, target_output = batch
    width = int(lengths.max())
    logits = model(source[:, :width], lengths, target_input)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target_output.reshape(-1), ignore_index=0)
`;

const MAIN = `

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\\n")[0])
    parser.add_argument("--data", required=True, help="training data (what recurrent train --data reads for this task)")
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--out", required=True, help="folder for weights.safetensors, config.json, model.py")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (default 0.001)")
    parser.add_argument("--batch-size", type=int, default=32, help="per process (default 32)")
    parser.add_argument("--clip", type=float, default=1.0, help="gradient norm clip, 0 for none (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", default="gloo", help="torch.distributed backend under torchrun: gloo (CPU) or nccl (GPUs)")
    add_arguments(parser)
    args = parser.parse_args()

    world = int(os.environ.get("WORLD_SIZE", "1"))
    distributed = world > 1
    if distributed:
        dist.init_process_group(args.backend)
    rank = dist.get_rank() if distributed else 0
    device = torch.device("cpu")
    if args.backend == "nccl" and torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    torch.manual_seed(args.seed)

    with open(os.path.join(HERE, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    model = build_model(config)
    model.load_state_dict(load_safetensors(os.path.join(HERE, "weights.safetensors")), strict=True)
    model.to(device)
    try:
        dataset = make_dataset(read_data(args.data), config, args.data)
        epoch_batches = make_batches(dataset, args, config, rank, world)
    except DataFileError as error:
        sys.exit(f"error: {error}")
    net = DistributedDataParallel(model) if distributed else model
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)

    for epoch in range(args.epochs):
        net.train()
        total = torch.zeros(2, dtype=torch.float64)  # (loss sum, examples)
        for batch in epoch_batches(epoch):
            batch = [t.to(device) if torch.is_tensor(t) else t for t in batch]
            optimizer.zero_grad()
            loss = loss_of(net, batch)
            loss.backward()
            if args.clip > 0:
                torch.nn.utils.clip_grad_norm_(net.parameters(), args.clip)
            optimizer.step()
            count = count_of(batch)
            total += torch.tensor([loss.item() * count, count], dtype=torch.float64)
        if distributed:
            dist.all_reduce(total)
        if rank == 0:
            print(json.dumps({"epoch": epoch + 1, "loss": total[0].item() / max(total[1].item(), 1), "examples": int(total[1].item()), "processes": world}), flush=True)

    if rank == 0:
        os.makedirs(args.out, exist_ok=True)
        save_safetensors(model.state_dict(), os.path.join(args.out, "weights.safetensors"), {"format": "pt", "task": config["task"]})
        for name in ("config.json", "model.py"):
            if os.path.abspath(os.path.join(args.out, name)) != os.path.join(HERE, name):
                shutil.copyfile(os.path.join(HERE, name), os.path.join(args.out, name))
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
`;

/** train.py for a task whose data and loss part is `taskSource`. */
export function trainPy(task: string, taskSource: string): string {
  return `${HEADER.replaceAll('{{task}}', task)}${taskSource}${MAIN}`;
}
