"""`{{ name|full_stop }}` where a name ends a sentence: "CodeHS." but "CodeHS, Inc.", never "CodeHS, Inc.."
(dpa_portal.sentences). Load it with `{% load sentences %}`."""

from django import template
from django.template.defaultfilters import stringfilter

from dpa_portal import sentences

register = template.Library()


@register.filter(is_safe=True)
@stringfilter
def full_stop(value):
    # is_safe: adding a period keeps safe text safe, and text that was not safe is still escaped on output.
    return sentences.full_stop(value)
