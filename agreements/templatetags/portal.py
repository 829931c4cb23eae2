from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key], or an empty list when absent: for looking up comments by place in templates."""
    return mapping.get(key, []) if mapping else []


@register.simple_tag
def is_carried(carried, section, key) -> bool:
    """Whether the answer (section, key) still holds the value carried over from an earlier agreement."""
    return (str(section), key) in carried


@register.filter
def yesno_answer(value):
    return "Yes" if value is True else "No" if value is False else "Not answered"
