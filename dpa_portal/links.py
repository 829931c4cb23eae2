"""The URLs of many objects of one view, each reversed once: a list, a feed or an open-data file links every row, and
a reverse() per row was a sixth to a third of making them (issue 13)."""

from django.urls import reverse


class Links:
    """`url(view, *args)`: reverse(view, args=args), the last argument being an integer id, with the URL of each view
    and other arguments reversed once and the id put in place. `absolute`, if given, makes the reversed path absolute
    (e.g. request.build_absolute_uri) once too."""

    def __init__(self, absolute=None):
        self.absolute = absolute or (lambda path: path)
        self.made = {}

    def url(self, view: str, *args) -> str:
        *before, pk = args
        key = (view, *before)
        if key not in self.made:
            # An id of 0 marks its place: the last "/0/" of the URL (the id comes last; no other argument holds "/").
            head, _, tail = self.absolute(reverse(view, args=[*before, 0])).rpartition("/0/")
            self.made[key] = (f"{head}/", f"/{tail}")
        head, tail = self.made[key]
        return f"{head}{int(pk)}{tail}"
