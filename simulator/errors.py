"""The one base class of errors a user is shown: its message is one Japanese line.

Every library error that the user can act on (a bad file, a missing model, a busy
microphone …) derives from it, so any front end, the terminal or the web server, shows
`str(error)` and never a traceback, without knowing each module's own class.
"""


class MensetsuError(Exception):
    """An error whose message is for the user, in Japanese."""
