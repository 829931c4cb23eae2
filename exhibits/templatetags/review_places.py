"""The key of a place that a review comment is about, for templates (exhibits/places.py)."""

from django import template

register = template.Library()


@register.simple_tag
def place_key(section, item) -> str:
    """{% place_key "subcontractors" sub.pk as key %} gives "subcontractors:12"."""
    return f"{section}:{item}"
