"""The assistant's tools, one per intent; each reads real search results."""

from __future__ import annotations

from collections.abc import Callable

from applylens.assistant.schemas import Intent
from applylens.assistant.tools.base import ToolContext, ToolResult
from applylens.assistant.tools.calendar import calendar
from applylens.assistant.tools.clean import clean
from applylens.assistant.tools.find import find
from applylens.assistant.tools.flag import flag
from applylens.assistant.tools.follow_up import follow_up
from applylens.assistant.tools.summarize import summarize
from applylens.assistant.tools.task import task
from applylens.assistant.tools.unsubscribe import unsubscribe

Tool = Callable[[ToolContext], ToolResult]

TOOLS: dict[Intent, Tool] = {
    "summarize": summarize,
    "find": find,
    "clean": clean,
    "unsubscribe": unsubscribe,
    "flag": flag,
    "follow_up": follow_up,
    "calendar": calendar,
    "task": task,
}
