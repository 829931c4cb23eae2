"""What caches may keep: nothing, unless a view says its page is public.

Signed-in pages show an organisation's agreements, staff and deadlines; a document download is a party's copy of a
DPA; an invitation page names the invitee. None of that may stay in a shared cache or in the browser's cache after
signing out, so every response is `Cache-Control: private, no-store` unless its view set Cache-Control itself or is
marked `public_page` (the parents' pages, files and feeds under /public/, which anyone may cache). Private by default,
so that a new page cannot forget it. Static files are answered by WhiteNoise, above this middleware, with their own
long-lived headers.
"""

from functools import wraps

PRIVATE = "private, no-store"


class PrivateByDefaultMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and not getattr(response, "public_page", False):
            response["Cache-Control"] = PRIVATE
        return response


def public_page(view):
    """Mark a view's responses as public: the middleware leaves their caching alone."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        response = view(*args, **kwargs)
        response.public_page = True
        return response

    return wrapped
