"""The district dashboard's summary of app requests (issue 16.3). A tag, not the dashboard's view: the agreements app
imports nothing of the app requests (pyproject.toml's contracts), and its template may name this one."""

from django import template

from agreements.access import DISTRICT_REVIEWERS

from ..selectors import queue_summary

register = template.Library()


@register.inclusion_tag("apprequests/queue_summary.html")
def app_requests_summary(agency, membership):
    """Counts and the oldest waiting per open status (one query), for those who triage; nothing for viewers."""
    summary = queue_summary(agency) if membership.role in DISTRICT_REVIEWERS else None
    return {"agency": agency, "summary": summary}
