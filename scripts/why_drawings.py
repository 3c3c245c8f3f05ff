"""Draw the networks the reproduction report's explanations point to (docs/reproduction/why/).

    snakemake drawings --cores 2 --configfile docs/reproduction/why/why.yaml   # the 16 trials
    python scripts/why_drawings.py --results results                          # the two pictures

Each picture stacks two selected networks, each beside its function graph, with the verdict the
scoring rule gives each: for Fig. 10, an overlap-3 and an overlap-4 network with the same shape of
modules (every input unit in one module), which fail and pass "input units separated"; for Fig.
12b, two networks with two hidden layers at use 1 and use 8, the first with F0 and F1 merged as
that depth's expected structure has them, the second with them apart.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg
import matplotlib.pyplot as plt

from neural_sculpting.cli.main import main as sculpt

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "reproduction" / "why"
GRID = "grid-ada798e0"
PICTURES = {
    "overlap3_vs_overlap4.png": (
        "Fig. 10: the same shape of modules, scored against each graph's input groups",
        [("overlap3_use8", "5-24-24-16/lr0.1-b16-e40", 0),
         ("overlap4_use8", "4-24-24-16/lr0.1-b8-e15", 2)],
    ),
    "hierarchy_depth2_use1_vs_use8.png": (
        "Fig. 12b: two hidden layers, use 1 and use 8",
        [("hierarchy_use1", "8-36-36-2/lr0.1-b64-e40", 1),
         ("hierarchy_use8", "8-36-36-16/lr0.1-b64-e40", 1)],
    ),
}  # fmt: skip
FLAGS = ("input_modules_match", "output_modules_match", "hidden_modules_match", "structure_match")


def trial_dir(results: Path, graph: str, arch_regime: str, seed: int) -> Path:
    return results / "trials" / graph / arch_regime / GRID / f"s{seed}"


def verdict_line(folder: Path) -> str:
    (score,) = folder.glob("detect_*/score.json")
    record = json.loads(score.read_text())
    flags = ", ".join(f"{flag}: {record[flag]}" for flag in FLAGS)
    modules = "-".join(map(str, record["modules_per_layer"]))
    return f"modules per layer {modules}; {flags}"


def picture(results: Path, title: str, trials: list[tuple[str, str, int]], out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        images, captions = [], []
        for i, (graph, arch_regime, seed) in enumerate(trials):
            folder = trial_dir(results, graph, arch_regime, seed)
            png = Path(tmp) / f"{i}.png"
            code = sculpt(["draw", "--trial-dir", str(folder), "--graph", graph, "--with-graph",
                           "-o", str(png)])  # fmt: skip
            if code != 0:
                raise SystemExit(f"{folder}: could not be drawn")
            images.append(mpimg.imread(png))
            captions.append(f"{graph}, seed {seed}: {verdict_line(folder)}")
        ratios = [img.shape[0] / img.shape[1] for img in images]  # height over width
        if max(ratios) > 0.6:  # tall drawings side by side, wide ones stacked
            widths = [1 / r for r in ratios]
            fig, axes = plt.subplots(1, len(images), figsize=(7 * sum(widths), 7.8),
                                     gridspec_kw={"width_ratios": widths})  # fmt: skip
        else:
            fig, axes = plt.subplots(len(images), 1, figsize=(14, 14 * sum(ratios) + 1.2),
                                     gridspec_kw={"height_ratios": ratios})  # fmt: skip
        for ax, img, caption in zip(axes, images, captions, strict=True):
            ax.imshow(img)
            ax.set_axis_off()
            ax.set_title(caption.replace("; ", "\n", 1), fontsize=9, loc="left")
        fig.suptitle(title, fontsize=12)
        fig.tight_layout(rect=(0, 0, 1, 0.93))
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=110)
        plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / "results")
    args = parser.parse_args(argv)
    for name, (title, trials) in PICTURES.items():
        picture(args.results, title, trials, OUT / name)
        print(OUT / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
