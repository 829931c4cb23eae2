"""The URLs of many objects of one view, each reversed once: a list, a feed or an open-data file links every row, and
a reverse() per row was a sixth to a third of making them (issue 13)."""

import re

from django.urls import reverse

# Stand-ins reversed in place of a slug: what a slug may hold, so that the URL pattern accepts them, and found nowhere
# else in a path. A slug that holds anything else (a converter would quote it) is reversed for itself.
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_MARK = "links-mark-{}-"


class Links:
    """`url(view, *args)`: reverse(view, args=args), for arguments that are slugs and, last, an optional integer id;
    each view reversed once whatever the arguments (a search's hits are in 200 districts), the slugs and the id put in
    place. `absolute`, if given, makes the reversed path absolute (e.g. request.build_absolute_uri) once too."""

    def __init__(self, absolute=None):
        self.absolute = absolute or (lambda path: path)
        self.made = {}

    def url(self, view: str, *args) -> str:
        with_id = bool(args) and isinstance(args[-1], int)
        slugs = args[:-1] if with_id else args
        if not all(_SLUG.fullmatch(slug) for slug in slugs):
            return self.absolute(reverse(view, args=args))
        key = (view, len(slugs), with_id)
        if key not in self.made:
            marks = [_MARK.format(n) for n in range(len(slugs))]
            # An id of 0 marks its place: the last "/0/" of the URL (the id comes last; no slug holds "/").
            path = self.absolute(reverse(view, args=[*marks, 0] if with_id else marks))
            head, _, tail = path.rpartition("/0/") if with_id else (path, "", "")
            self.made[key] = (head, tail, marks)
        head, tail, marks = self.made[key]
        for mark, slug in zip(marks, slugs, strict=True):
            head = head.replace(mark, slug)
        return f"{head}/{args[-1]}/{tail}" if with_id else head
