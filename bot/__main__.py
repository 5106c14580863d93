"""`python -m bot` is the same as the `active-region` command."""

import sys

from bot.cli import main

sys.exit(main())
