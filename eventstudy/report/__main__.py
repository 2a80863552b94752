"""``python -m eventstudy.report``: build the report pages and the index."""

import sys

from .build import main

sys.exit(main())
