from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key], or an empty list when absent: for looking up comments by place in templates."""
    return mapping.get(key, []) if mapping else []


@register.simple_tag
def carried_badge(carried, section, *keys):
    """A "carried over" badge when any of the answers `keys` of `section` still holds a carried-over value."""
    if any((str(section), key) in carried for key in keys):
        return format_html('<span class="badge text-bg-info">{}</span>', "carried over")
    return ""


@register.filter
def yesno_answer(value):
    return "Yes" if value is True else "No" if value is False else "Not answered"
