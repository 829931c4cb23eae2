"""What the vendors app tells the others: it imports none of them (pyproject's contracts), so the apps that show a
contractor's agreements listen here."""

from django.dispatch import Signal

# Sent by vendors.services.contractor_merge inside its transaction, after every row has moved with bulk UPDATEs (which
# send no post_save): kwargs `kept` (the Contractor), `merged_id`, `agreement_ids` (the agreements that moved, whose
# vendor, products and subcontractors changed) and `agency_ids` (their districts). The public pages' cache and the
# statewide search's entries are rewritten from it (exhibits/signals.py, exhibits/public/search_index.py).
contractors_merged = Signal()
