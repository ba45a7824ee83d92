import sys

from qmi_metrics.cli import main

sys.exit(main())
