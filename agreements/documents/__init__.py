"""The agreement as a document: the complete DPA rendered to HTML and PDF (render.py); sealing lives beside it."""
