"""The PyTorch side of test_pytorch_interchange.cpp, run once per suite.

python3 torch_interchange.py DIR

1. For each tapegrad model the C++ side saved (DIR/tg_<name>.safetensors with
   its inputs and outputs in DIR/tg_<name>_io.safetensors): loads it into the
   same architecture in PyTorch and writes PyTorch's outputs on the same
   inputs to DIR/torch_on_tg_<name>.safetensors.
2. Builds an MLP, a CNN with BatchNorm and an LSTM in PyTorch, trains each a
   few steps, and writes DIR/<name>.pt (torch.save of the state dict),
   DIR/<name>.safetensors (the same, written with numpy below),
   DIR/<name>_io.safetensors (inputs and eval-mode outputs), and the MLP's
   weights as float16 and bfloat16 (.pt and .safetensors).

safetensors is written and read with json + numpy (the format is a
little-endian u64 header length, a JSON header, raw data), since Debian
does not package python3-safetensors.
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

CODES = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64", np.dtype("float16"): "F16"}
DTYPES = {v: k for k, v in CODES.items()}


def write_safetensors(path, tensors):
    """tensors: name -> numpy array, or (code, raw bytes, shape) for BF16."""
    header, blobs, offset = {}, [], 0
    for name, value in tensors.items():
        if isinstance(value, tuple):
            code, raw, shape = value
        else:
            value = np.asarray(value, order="C")  # not ascontiguousarray: it makes a 0-d array 1-d
            code, raw, shape = CODES[value.dtype], value.astype(value.dtype.newbyteorder("<")).tobytes(), list(value.shape)
        header[name] = {"dtype": code, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        out[name] = np.frombuffer(data[begin:end], dtype=DTYPES[entry["dtype"]].newbyteorder("<")).reshape(entry["shape"]).copy()
    return out


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 8, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.fc(h[-1])


def build(name):
    if name == "mlp":
        return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3)), (8, 6)
    if name == "cnn":
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(4 * 4 * 4, 3)), (5, 1, 8, 8)
    return Recurrent(), (4, 7, 5)


def main(out):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    report = {}
    # 1. tapegrad -> PyTorch
    for name in ("mlp", "cnn", "lstm"):
        saved = out / f"tg_{name}.safetensors"
        if not saved.exists():
            continue
        model, _ = build(name)
        state = {k: torch.from_numpy(v) for k, v in read_safetensors(saved).items()}
        missing, unexpected = model.load_state_dict(state, strict=True)
        model.eval()
        io = read_safetensors(out / f"tg_{name}_io.safetensors")
        with torch.no_grad():
            y = model(torch.from_numpy(io["input"]))
        write_safetensors(out / f"torch_on_tg_{name}.safetensors", {"output": y.numpy()})
        report[f"tg_{name}"] = len(state)
    # 2. PyTorch -> tapegrad
    for name in ("mlp", "cnn", "lstm"):
        model, shape = build(name)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        model.train()
        for _ in range(5):
            x = torch.randn(*shape)
            loss = model(x).square().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        x = torch.randn(*shape)
        with torch.no_grad():
            y = model(x)
        state = model.state_dict()
        torch.save(state, out / f"{name}.pt")
        write_safetensors(out / f"{name}.safetensors", {k: v.numpy() for k, v in state.items()})
        write_safetensors(out / f"{name}_io.safetensors", {"input": x.numpy(), "output": y.numpy()})
        report[name] = len(state)
        if name == "mlp":
            torch.save({k: v.half() for k, v in state.items()}, out / "mlp_f16.pt")
            torch.save({k: v.bfloat16() for k, v in state.items()}, out / "mlp_bf16.pt")
            write_safetensors(out / "mlp_f16.safetensors", {k: v.half().numpy() for k, v in state.items()})
            write_safetensors(out / "mlp_bf16.safetensors",
                              {k: ("BF16", v.bfloat16().view(torch.int16).numpy().tobytes(), list(v.shape)) for k, v in state.items()})
            # What tapegrad must read back: the rounded values, widened to float32.
            write_safetensors(out / "mlp_rounded.safetensors",
                              {**{f"f16.{k}": v.half().float().numpy() for k, v in state.items()},
                               **{f"bf16.{k}": v.bfloat16().float().numpy() for k, v in state.items()}})
    (out / "report.json").write_text(json.dumps(report))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
