"""The bare baseline bench_inference.py compares `python -m inference` with: load the checkpoint,
read every PNG in a folder with PIL, run the model in batches of 256, print one line per image.
No error handling, no output files, no progress bar. Usage: bare_predict.py MODEL FOLDER"""

import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from core.network import ConvNet, ModelConfig

payload = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
model = ConvNet(ModelConfig.from_dict(payload["model_config"]))
model.load_state_dict(payload["model_state"])
model.eval()
height, width = payload["preprocessing"]["input_size"]
# Per-channel statistics (one channel for the digits), shaped to broadcast over (N, C, H, W).
mean = torch.tensor(payload["preprocessing"]["mean"]).view(1, -1, 1, 1)
std = torch.tensor(payload["preprocessing"]["std"]).view(1, -1, 1, 1)

paths = sorted(Path(sys.argv[2]).glob("*.png"))
pixels = np.stack(
    [np.asarray(Image.open(p).convert("L").resize((width, height), Image.Resampling.BOX), np.float32) for p in paths]
)
x = ((torch.from_numpy(pixels / 255.0).unsqueeze(1) - mean) / std).float()
with torch.inference_mode():
    predictions = torch.cat([model(batch).argmax(dim=1) for batch in x.split(256)])
for path, index in zip(paths, predictions.tolist(), strict=True):
    print(path, payload["labels"][index])
