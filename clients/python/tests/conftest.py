import sys
from pathlib import Path

# The helpers next to the tests (scripted.py) import as top-level modules.
sys.path.insert(0, str(Path(__file__).parent))
