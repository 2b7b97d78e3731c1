"""The bare baseline of the folder benchmark: the usual torchvision way to train on an image folder.

ImageFolder + DataLoader (shuffle, one worker per core, PNGs decoded every epoch), the project's
CNN and batch size, the project's 70/10/20 split sizes: train, score the validation part every
epoch, score the test part at the end and write the course's two outputs, as benchmarks/bare_train.py
does. Usage: bare_folder_train.py FOLDER OUT_DIR [--epochs 5] [--batch-size 64] [--image-size 32] [--workers N]
"""

import argparse
import os
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from sklearn.metrics import ConfusionMatrixDisplay, classification_report
from torch.nn import functional as F
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from core.network import ConvNet, ModelConfig

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("folder")
parser.add_argument("out")
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--image-size", type=int, default=32)
parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
args = parser.parse_args()

torch.manual_seed(0)
transform = transforms.Compose(
    [
        transforms.Resize((args.image_size, args.image_size)),
        transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
    ]
)
folder = datasets.ImageFolder(args.folder, transform=transform)
order = torch.randperm(len(folder)).tolist()
n_test, n_val = len(folder) // 5, len(folder) // 10
test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]


def loader(indices, shuffle):
    return DataLoader(
        Subset(folder, indices),
        batch_size=args.batch_size,
        shuffle=shuffle,
        num_workers=args.workers,
        persistent_workers=args.workers > 0,
    )


def predict(model, data):
    model.eval()
    truth, predicted = [], []
    with torch.no_grad():
        for x, y in data:
            truth.append(y)
            predicted.append(model(x).argmax(1))
    return torch.cat(truth), torch.cat(predicted)


def accuracy(model, data):
    truth, predicted = predict(model, data)
    return (truth == predicted).float().mean().item()


train_loader, val_loader, test_loader = loader(train, True), loader(val, False), loader(test, False)
model = ConvNet(ModelConfig(in_channels=3, input_size=(args.image_size,) * 2, num_classes=len(folder.classes)))
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
for epoch in range(1, args.epochs + 1):
    started = time.perf_counter()
    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    print(
        f"epoch {epoch}/{args.epochs}  val_acc {accuracy(model, val_loader):.4f}  {time.perf_counter() - started:.2f}s",
        file=sys.stderr,
        flush=True,
    )
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
y_test, y_pred = predict(model, test_loader)
(out / "classification_report.txt").write_text(
    classification_report(y_test, y_pred, target_names=folder.classes, zero_division=0)
)
ConfusionMatrixDisplay.from_predictions(y_test, y_pred, display_labels=folder.classes)
plt.savefig(out / "confusion_matrix.png")
print(f"accuracy {(y_test == y_pred).float().mean().item():.4f}")
