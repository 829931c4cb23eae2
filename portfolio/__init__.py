"""A district's whole portfolio (issue 12): the agreements it signed before the portal, imported from a sheet and a ZIP
of their PDFs, and everything it (or a vendor) holds, exported as an archive in open formats."""
