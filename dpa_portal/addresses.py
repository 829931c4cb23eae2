"""An abstract postal address shared by districts and contractors."""

from django.db import models


class PostalAddress(models.Model):
    """The mailing address that a party's notices and letters go to."""

    street_address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True, default="NY")
    postal_code = models.CharField(max_length=20, blank=True)

    class Meta:
        abstract = True


def address_lines(street: str, city: str, state: str, postal_code: str) -> list[str]:
    """The lines of an address as printed on a letter, e.g. ["195 Blackberry Road", "Liverpool, NY 13090"]."""
    locality = f"{city}, {state} {postal_code}".strip(" ,") if city else f"{state} {postal_code}".strip()
    return [line for line in [street, locality] if line]
