"""``python -m grading.isolation OPTIONS -- COMMAND``: run COMMAND in the sandbox."""

import sys

from .launcher import main

sys.exit(main())
