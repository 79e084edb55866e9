"""The gunicorn worker class of `applylens serve --workers N`."""

from __future__ import annotations

import warnings

try:
    from uvicorn_worker import UvicornWorker
except ImportError:
    # uvicorn 0.54 still ships the worker it deprecated in favour of the
    # uvicorn-worker package; it works the same.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from uvicorn.workers import UvicornWorker


class ApplyLensWorker(UvicornWorker):  # type: ignore[misc]
    """A uvicorn worker that leaves X-Forwarded-For to the application.

    uvicorn's own proxy-header handling would replace the peer address with
    the header's value before the API sees it, and the API's rate limits must
    read the header only from APPLYLENS_TRUSTED_PROXIES.
    """

    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "proxy_headers": False}
