"""The portfolio's pages: the import (imports.py) and the export (exports.py), reached only through its URLconf."""
