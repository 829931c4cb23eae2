"""The portfolio's pages: the import (imports.py) and the export (exports.py). Reached only through portfolio/urls.py."""
