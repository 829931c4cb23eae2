"""Views of the agreements app: the public landing page, the district's and the vendor's pages, the agreement."""
