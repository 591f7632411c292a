import sys

from batchlint.cli import main

sys.exit(main())
