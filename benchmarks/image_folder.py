"""Write a deterministic image-folder dataset: one sub-folder per shape, coloured shapes on coloured grounds.

Usage: python benchmarks/image_folder.py OUT_DIR [--images N] [--size S] [--gray] [--seed K]. The same
arguments always write the same bytes. Used by the folder-cache benchmark and by the tests.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

SHAPES = ("circle", "square", "triangle", "cross")


def write_shapes_folder(root: str | Path, images: int, size: int = 32, *, gray: bool = False, seed: int = 0) -> Path:
    """`images` PNGs (size x size) spread evenly over SHAPES, in root/<shape>/<shape>-<i>.png; returns root."""
    from PIL import Image, ImageDraw

    root = Path(root)
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        (root / shape).mkdir(parents=True, exist_ok=True)
    for i in range(images):
        shape = SHAPES[i % len(SHAPES)]
        ground, ink = rng.integers(0, 256, size=(2, 3))
        while np.abs(ground - ink).sum() < 200:  # keep the shape visible
            ink = rng.integers(0, 256, size=3)
        image = Image.new("RGB", (size, size), tuple(int(v) for v in ground))
        _draw(ImageDraw.Draw(image), shape, rng, size, tuple(int(v) for v in ink))
        if gray:
            image = image.convert("L")
        image.save(root / shape / f"{shape}-{i:05d}.png")
    return root


def _draw(draw, shape: str, rng: np.random.Generator, size: int, ink: tuple[int, int, int]) -> None:
    half = int(rng.integers(size // 5, size // 3 + 1))
    cx, cy = rng.integers(half, size - half, size=2)
    box = (int(cx - half), int(cy - half), int(cx + half), int(cy + half))
    if shape == "circle":
        draw.ellipse(box, fill=ink)
    elif shape == "square":
        draw.rectangle(box, fill=ink)
    elif shape == "triangle":
        draw.polygon([(box[0], box[3]), (box[2], box[3]), (int(cx), box[1])], fill=ink)
    else:
        width = max(1, half // 2)
        draw.rectangle((box[0], int(cy) - width, box[2], int(cy) + width), fill=ink)
        draw.rectangle((int(cx) - width, box[1], int(cx) + width, box[3]), fill=ink)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="folder to write (created; existing files with the same names are replaced)")
    parser.add_argument("--images", type=int, default=20_000, help="number of images (default: %(default)s)")
    parser.add_argument("--size", type=int, default=32, help="side length in pixels (default: %(default)s)")
    parser.add_argument("--gray", action="store_true", help="write grayscale PNGs")
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    args = parser.parse_args()
    write_shapes_folder(args.out, args.images, args.size, gray=args.gray, seed=args.seed)
    print(f"wrote {args.images} images into {args.out}")


if __name__ == "__main__":
    main()
