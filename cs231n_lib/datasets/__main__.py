"""``python -m cs231n_lib.datasets [--from ARCHIVE] [--dest DIR] ...``: build CIFAR-10.

What ``get_datasets.sh`` runs; ``--help`` explains the options.
"""

import sys

from .build import main

if __name__ == "__main__":
    sys.exit(main())
