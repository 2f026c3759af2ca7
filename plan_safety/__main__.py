import sys

from plan_safety.cli import main

sys.exit(main())
