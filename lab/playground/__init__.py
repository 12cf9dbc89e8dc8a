"""The local playground: models side by side, their next-token choices and surprisal, in a page.

:mod:`lab.playground.service` holds the logic (no web framework);
:mod:`lab.playground.app` serves it with Starlette, which comes with the
optional ``playground`` extra and is imported only by ``textgen-lab playground``.
:mod:`lab.playground.explorer` is the same step mode as notebook widgets
(ipywidgets, from the ``notebook`` extra).
"""
