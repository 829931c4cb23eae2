"""The public posting for parents (Education Law 2-d, 8 NYCRR 121.3): each district's Parents' Bill of Rights and
the supplemental information (Exhibit B) of its executed agreements, statewide search, open data and a feed.

Pages are cached per district and language; exhibits/signals.py invalidates them when an agreement is posted or
changes (cache.py explains the keys). Everything shown goes through records.py, where redactions are applied.
"""
