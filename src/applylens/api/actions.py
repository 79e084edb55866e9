"""Routes over the owner's proposed actions and learned sender exceptions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from applylens.api.chat import make_assistant
from applylens.api.deps import Context, CurrentOwner
from applylens.api.problems import ApiProblem
from applylens.assistant.schemas import ProposedAction
from applylens.assistant.senders import SenderException
from applylens.errors import ConfigError, NotFound

router = APIRouter(tags=["actions"])

# SQLite stores an INTEGER in at most 64 bits, and passing a larger Python int
# to it raises OverflowError, so an id outside this range names no record.
SQLITE_INTEGERS = range(-(2**63), 2**63)


@router.get("/api/actions")
async def list_actions(
    context: Context,
    owner: CurrentOwner,
    status: Annotated[
        Literal["proposed", "approved", "rejected"] | None, Query()
    ] = None,
) -> dict[str, list[ProposedAction]]:
    """List the owner's proposed actions, oldest first."""

    def work() -> list[ProposedAction]:
        return make_assistant(context, owner).list_actions(owner.name, status)

    return {"actions": await run_in_threadpool(work)}


@router.post("/api/actions/{action_id}/approve")
async def approve_action(
    action_id: str, context: Context, owner: CurrentOwner
) -> ProposedAction:
    """Carry out a proposal. Approving it again changes nothing; approving a
    rejected one is a 409."""

    def work() -> ProposedAction:
        assistant = make_assistant(context, owner)
        _check_undecided(assistant.actions.get(owner.name, action_id), "approved")
        return assistant.approve_action(owner.name, action_id)

    return await run_in_threadpool(work)


@router.post("/api/actions/{action_id}/reject")
async def reject_action(
    action_id: str, context: Context, owner: CurrentOwner
) -> ProposedAction:
    """Mark a proposal rejected; nothing in the mailbox changes. Rejecting an
    approved one is a 409, because its change has been made."""

    def work() -> ProposedAction:
        assistant = make_assistant(context, owner)
        _check_undecided(assistant.actions.get(owner.name, action_id), "rejected")
        return assistant.reject_action(owner.name, action_id)

    return await run_in_threadpool(work)


def _check_undecided(action: ProposedAction, decision: str) -> None:
    if action.status in ("proposed", decision):
        return
    raise ApiProblem(
        409,
        "already_decided",
        f"action {action.id!r} is already {action.status}, so it cannot be "
        f"{decision}; ask again for a new proposal",
        extra={"status": action.status},
    )


@router.get(
    "/api/actions/{action_id}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
async def action_calendar(
    action_id: str, context: Context, owner: CurrentOwner
) -> Response:
    """Download the events of a calendar proposal as an iCalendar file."""

    def work() -> ProposedAction:
        return make_assistant(context, owner).actions.get(owner.name, action_id)

    action = await run_in_threadpool(work)
    ics = action.params.get("ics") if action.kind == "calendar" else None
    if not isinstance(ics, str):
        raise ApiProblem(
            404,
            "not_found",
            f"action {action_id!r} is a {action.kind} proposal, not a calendar one",
        )
    return Response(
        ics,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="applylens-events.ics"'},
    )


def _exception_json(exception: SenderException) -> dict[str, Any]:
    return {
        "id": exception.id,
        "kind": exception.kind,
        "value": exception.value,
        "text": exception.text,
        "description": exception.description,
    }


@router.get("/api/exceptions")
async def list_exceptions(
    context: Context, owner: CurrentOwner
) -> dict[str, list[dict[str, Any]]]:
    """List the senders the owner asked the assistant to leave alone."""

    def work() -> list[SenderException]:
        return make_assistant(context, owner).list_exceptions(owner.name)

    return {"exceptions": [_exception_json(e) for e in await run_in_threadpool(work)]}


class NewException(BaseModel):
    sender: str = Field(min_length=1, max_length=200)
    """A name, an address, a domain such as acme.com, or "my bank"."""


@router.post("/api/exceptions", status_code=201)
async def add_exception(
    body: NewException, context: Context, owner: CurrentOwner
) -> dict[str, Any]:
    """Learn a sender exception, as "remember ..." in the chat does."""

    def work() -> SenderException:
        try:
            return make_assistant(context, owner).add_exception(owner.name, body.sender)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc

    return _exception_json(await run_in_threadpool(work))


@router.delete("/api/exceptions/{exception_id}", status_code=204)
async def remove_exception(
    exception_id: int, context: Context, owner: CurrentOwner
) -> None:
    """Forget one learned exception of the owner."""
    if exception_id not in SQLITE_INTEGERS:
        raise NotFound(f"no learned exception {exception_id!r} for this owner")

    def work() -> None:
        make_assistant(context, owner).remove_exception(owner.name, exception_id)

    await run_in_threadpool(work)
