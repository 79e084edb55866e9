"""Checks of the data folder, the state database and the mail database.

The SQLite store and the state database create a missing file and its
folders when they are opened. So a command that only reads checks the path
first, or a mistyped path would create an empty database and report an empty
mailbox. Failures to open these files become one-line errors that name the
path and the setting that changes it.
"""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager

import click

from applylens.config import Settings

# SQLite result codes, with their extended forms such as SQLITE_IOERR_WRITE,
# that come from the file or the disk rather than from the SQL. Other errors,
# such as SQLITE_ERROR for a syntax error, keep their traceback.
_FILE_ERROR_NAMES = (
    "SQLITE_BUSY",
    "SQLITE_CANTOPEN",
    "SQLITE_CORRUPT",
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "SQLITE_LOCKED",
    "SQLITE_NOTADB",
    "SQLITE_PERM",
    "SQLITE_PROTOCOL",
    "SQLITE_READONLY",
)


def data_dir_error(settings: Settings, detail: str) -> click.ClickException:
    return click.ClickException(
        f"data folder {settings.data_dir} is unavailable: {detail} "
        "(set APPLYLENS_DATA_DIR to change it)"
    )


def check_data_dir(settings: Settings) -> None:
    """Raise a ClickException when APPLYLENS_DATA_DIR names something that
    cannot be a folder. A missing folder passes, because commands that write
    create it."""
    try:
        mode = settings.data_dir.stat().st_mode
    except FileNotFoundError:
        return
    except NotADirectoryError as exc:
        raise data_dir_error(settings, "one of its parent folders is a file") from exc
    except OSError as exc:
        raise data_dir_error(settings, str(exc)) from exc
    if not stat.S_ISDIR(mode):
        raise data_dir_error(settings, "it exists and is not a folder")


def require_mail_database(settings: Settings) -> None:
    """Raise a ClickException unless the SQLite mail database exists.

    Commands that only read call this before they open the store. Other
    backends are not checked here, because they report a missing index
    themselves.
    """
    if settings.backend != "sqlite":
        return
    if settings.db_path is None:
        check_data_dir(settings)
    path = settings.sqlite_path
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise click.ClickException(
            f"no mail database at {path}: import mail first (applylens import "
            "MAILBOX or applylens demo) or pass --db FILE"
        ) from exc
    except OSError:
        # The store reports a file it cannot reach, with the reason.
        return


def state_database_exists(settings: Settings) -> bool:
    """Return whether the state database exists, or may exist but cannot be
    checked, in which case opening it reports why."""
    try:
        settings.state_path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def echo_no_state_database(settings: Settings) -> None:
    click.echo(
        f"note: no state database at {settings.state_path} yet, so nothing is "
        "stored there (set APPLYLENS_DATA_DIR if this is the wrong folder)",
        err=True,
    )


@contextmanager
def state_database_errors(settings: Settings) -> Iterator[None]:
    """Turn a failure to create, open or read the state database into a
    one-line ClickException that names the file and APPLYLENS_DATA_DIR.

    Only OSError and the SQLite errors of `_FILE_ERROR_NAMES` are caught.
    """
    try:
        yield
    except OSError as exc:
        raise _state_database_error(settings, str(exc)) from exc
    except sqlite3.DatabaseError as exc:
        name = getattr(exc, "sqlite_errorname", None) or ""
        if not name.startswith(_FILE_ERROR_NAMES):
            raise
        raise _state_database_error(settings, str(exc)) from exc


def _state_database_error(settings: Settings, detail: str) -> click.ClickException:
    return click.ClickException(
        f"state database at {settings.state_path} is unavailable: {detail} "
        "(set APPLYLENS_DATA_DIR to change it)"
    )
