"""What the demo scripts share: their common arguments and step headers."""

from __future__ import annotations

import argparse
from pathlib import Path

from cs231n_lib.data import default_data_dir


def demo_parser(doc):
    """An argument parser with the options every demo takes: --data-dir, --out."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"folder holding cifar-10-batches-py (default {default_data_dir()})")
    parser.add_argument("--out", type=Path, default=Path("build/demo"),
                        help="folder for the plots (default build/demo)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser


def step(message):
    """Print a step's header."""
    print(f"\n== {message}", flush=True)
