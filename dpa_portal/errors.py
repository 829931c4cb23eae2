"""The one error for "you cannot do that", and the one way a view shows it to the person.

Services raise `ApplicationError` when a rule of the DPA, of Part 121 or of the portal refuses a step: a role that may
not act, a status the step does not start from, input that breaks a rule. Its message is written for the person who
tried; its code names the kind of refusal for code and tests. Anything else that goes wrong is a bug or an outage and
is not caught here.
"""

from contextlib import contextmanager

from django.contrib import messages

# The kinds of refusal. A test or a caller that must tell them apart reads `error.code`.
FORBIDDEN = "forbidden"  # the person's organisation or role may not take this step
STATE = "state"  # the thing is not in a state this step starts from (already done, decided, closed, executed...)
INVALID = "invalid"  # what was entered breaks a rule (a date in the future, a missing explanation...)
EXISTS = "exists"  # it would duplicate something that exists


class ApplicationError(Exception):
    """A step the rules refuse. `message` is meant for the person who tried it."""

    def __init__(self, message: str, *, code: str = INVALID):
        super().__init__(message)
        self.message = message
        self.code = code


@contextmanager
def refusal_message(request, form=None):
    """Show an `ApplicationError` raised inside the block to the person, and go on after the block.

    The message goes on the `form` (above its fields) when there is one, else into the page's messages. A view
    returns from inside the block when the step succeeds, and after it (re-rendering the form with what was typed, or
    redirecting) when the step was refused, so that nothing the person entered is lost.
    """
    try:
        yield
    except ApplicationError as error:
        if form is not None:
            form.add_error(None, error.message)
        else:
            messages.error(request, error.message)
