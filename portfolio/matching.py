"""The import's vendor matching is the portal's (vendors.matching, issue 14.4): the same names here for the import and
its tests."""

from vendors.matching import (  # noqa: F401 -- re-exported
    FREE_MAIL,
    LEGAL_SUFFIXES,
    MAYBE,
    SAME_VENDOR,
    Candidate,
    VendorIndex,
    domain_of,
    name_key,
)
