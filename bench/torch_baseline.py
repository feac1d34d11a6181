"""PyTorch baseline for `npm run bench`: the same networks as ml/models
(`cnn` on 28x28x1, `resnet20` on 32x32x3), trained with SGD + momentum at
batch 64 (cross-entropy), and their forward pass for labeling (batch 256), on
the CPU with a given number of threads.

Two modes:
  python3 bench/torch_baseline.py --threads 1 [--repeats 5] [--steps 8]
      measures every case and prints one JSON object;
  python3 bench/torch_baseline.py --threads 1 --serve
      reads one JSON request per line, {"case": "train/cnn", "calls": 8},
      and answers each with {"case", "imagesPerSecond", "imagesPerCpuSecond"}. The harness
      uses this to interleave PyTorch and TensorFlow.js samples in time, so
      both see the same load on a shared machine.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, stride=1, kernel=3):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(cout),
    )


class Cnn(nn.Module):
    """ml/models/cnn.ts `cnn`: conv3x3 32-BN-ReLU x2, maxpool, conv3x3 64-BN-ReLU x2, maxpool, dense 128-ReLU, dense."""

    def __init__(self, channels=1, size=28, classes=10):
        super().__init__()
        self.convs = nn.ModuleList([conv_bn(channels, 32), conv_bn(32, 32), conv_bn(32, 64), conv_bn(64, 64)])
        self.fc1 = nn.Linear((size // 4) * (size // 4) * 64, 128)
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        x = F.relu(self.convs[1](F.relu(self.convs[0](x))))
        x = F.max_pool2d(x, 2)
        x = F.relu(self.convs[3](F.relu(self.convs[2](x))))
        x = F.max_pool2d(x, 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv_bn(cin, cout, stride)
        self.conv2 = conv_bn(cout, cout)
        self.shortcut = conv_bn(cin, cout, stride, kernel=1) if stride != 1 or cin != cout else None

    def forward(self, x):
        residual = self.shortcut(x) if self.shortcut is not None else x
        return F.relu(self.conv2(F.relu(self.conv1(x))) + residual)


class Resnet(nn.Module):
    """ml/models/resnet.ts: 3x3 stem of 16, three stages of n blocks at 16/32/64, 1x1 conv+BN shortcuts, GAP, linear."""

    def __init__(self, depth=20, channels=3, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.stem = conv_bn(channels, 16)
        blocks, cin = [], 16
        for stage, cout in enumerate([16, 32, 64]):
            for i in range(n):
                blocks.append(BasicBlock(cin, cout, 2 if stage > 0 and i == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.blocks(F.relu(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


NETS = {
    'cnn': (lambda: Cnn(), (1, 28, 28)),
    'resnet20': (lambda: Resnet(20), (3, 32, 32)),
}


TRAIN_BATCH = 64
FORWARD_BATCH = 256


def rate(run, images_per_call, calls):
    """Images per second of wall time and per second of this process's CPU time."""
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        run()
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    return images_per_call * calls / wall, images_per_call * calls / max(cpu, 1e-9)


def train_step(name):
    build, shape = NETS[name]
    torch.manual_seed(0)
    model = build()
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(TRAIN_BATCH, *shape)
    y = torch.randint(0, 10, (TRAIN_BATCH,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step, TRAIN_BATCH


def forward_pass(name):
    build, shape = NETS[name]
    torch.manual_seed(0)
    model = build()
    model.eval()
    x = torch.randn(FORWARD_BATCH, *shape)

    def forward():
        with torch.no_grad():
            model(x)

    return forward, FORWARD_BATCH


CASES = {f'{kind}/{name}': (lambda kind=kind, name=name: (train_step if kind == 'train' else forward_pass)(name))
         for kind in ('train', 'forward') for name in NETS}


class Runner:
    """Builds each case once and warms it up before its first sample."""

    def __init__(self):
        self.ready = {}

    def sample(self, case, calls):
        if case not in CASES:
            raise ValueError(f'unknown case {case!r}; known: {", ".join(CASES)}')
        if case not in self.ready:
            run, batch = CASES[case]()
            for _ in range(3):
                run()
            self.ready[case] = (run, batch)
        run, batch = self.ready[case]
        return rate(run, batch, calls)


def serve(runner):
    print(json.dumps({'ready': True, 'torch': torch.__version__, 'threads': torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            wall, cpu = runner.sample(request['case'], int(request.get('calls', 8)))
            answer = {'case': request['case'], 'imagesPerSecond': wall, 'imagesPerCpuSecond': cpu}
        except Exception as error:  # the harness prints it and carries on without this baseline
            answer = {'case': request.get('case'), 'error': str(error)}
        print(json.dumps(answer), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--threads', type=int, required=True)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--steps', type=int, default=8)
    parser.add_argument('--serve', action='store_true')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    runner = Runner()
    if args.serve:
        serve(runner)
        return
    out = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'cases': {}}
    for case in CASES:
        calls = args.steps if case.startswith('train') else max(args.steps // 2, 2)
        rates = [runner.sample(case, calls)[0] for _ in range(args.repeats)]
        out['cases'][case] = {'imagesPerSecond': statistics.median(rates), 'samples': rates}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
