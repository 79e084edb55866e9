"""Multi-user mode: API tokens, and no endpoint showing one user another's mail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from applylens.api.users import add_user, hash_token, list_users
from applylens.config import Settings
from applylens.errors import ConfigError
from applylens.mail.model import Message, make_doc_id
from applylens.store.sqlite import SQLiteStore

from .conftest import ApiFactory, RunningApi, make_message, read_events

SHARED_KEY = "<shared-1@acme.example>"


@dataclass
class TwoUsers:
    api: RunningApi
    alice: httpx.Client
    bob: httpx.Client


@pytest.fixture
def multi_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"multi_user": True, "metrics_token": "scrape-me"}
    )


def owner_messages(owner: str) -> list[Message]:
    """One message both users imported, and two of the owner's own."""
    return [
        make_message(owner, SHARED_KEY, "Interview invitation from Acme"),
        make_message(
            owner,
            f"<private-{owner}@globex.example>",
            f"Offer letter for {owner} from Globex",
            sender="hr@globex.example",
            labels=("offer",),
        ),
        make_message(
            owner,
            f"<promo-{owner}@shop.example>",
            f"Big sale for {owner}",
            sender="deals@shop.example",
            labels=("promo",),
            days_ago=60,
        ),
    ]


@pytest.fixture
def two_users(
    start_api: ApiFactory, multi_settings: Settings, tmp_path: Path
) -> Iterator[TwoUsers]:
    store = SQLiteStore(tmp_path / "shared.db")
    store.add_messages([*owner_messages("alice"), *owner_messages("bob")])
    _, alice_token = add_user(multi_settings.state_path, "alice", ["Alice@Example.COM"])
    _, bob_token = add_user(multi_settings.state_path, "bob", ["bob@example.org"])

    api = start_api(store, app_settings=multi_settings)
    alice = api.client(headers={"Authorization": f"Bearer {alice_token}"})
    bob = api.client(headers={"Authorization": f"Bearer {bob_token}"})
    yield TwoUsers(api, alice, bob)
    alice.close()
    bob.close()
    store.close()


def chat(client: httpx.Client, question: str) -> dict:
    response = client.post(
        "/api/chat",
        json={"messages": [{"role": "user", "content": question}], "window_days": 90},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_users_token_stored_only_as_digest(settings: Settings) -> None:
    _, token = add_user(settings.state_path, "carol")

    files = [settings.state_path, settings.state_path.with_name("state.db-wal")]
    raw = b"".join(path.read_bytes() for path in files if path.exists())

    assert token.encode() not in raw
    assert hash_token(token).encode() in raw
    assert [user.name for user in list_users(settings.state_path)] == ["carol"]


def test_users_duplicate_name_is_rejected(settings: Settings) -> None:
    add_user(settings.state_path, "carol")

    with pytest.raises(ConfigError, match="'Carol' already exists"):
        add_user(settings.state_path, "Carol")


def test_users_addresses_are_lowercased(settings: Settings) -> None:
    user, _ = add_user(settings.state_path, "dave", ["Dave@Example.COM"])

    assert user.addresses == ("dave@example.com",)


@pytest.mark.parametrize(
    "path",
    ["/api/search", "/api/actions", "/api/exceptions", "/api/stats"],
)
def test_request_without_token_is_401(two_users: TwoUsers, path: str) -> None:
    with two_users.api.client() as anonymous:
        response = anonymous.get(path)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_request_with_unknown_token_is_401(two_users: TwoUsers) -> None:
    with two_users.api.client(headers={"Authorization": "Bearer al_nope"}) as client:
        response = client.get("/api/search", params={"q": "offer"})

    assert response.status_code == 401


def test_chat_without_token_is_401(two_users: TwoUsers) -> None:
    with two_users.api.client() as anonymous:
        response = anonymous.post(
            "/api/chat", json={"messages": [{"role": "user", "content": "hi"}]}
        )

    assert response.status_code == 401


def test_search_shows_only_own_mail(two_users: TwoUsers) -> None:
    hits = two_users.alice.get("/api/search", params={"q": "offer"}).json()["hits"]

    assert [hit["subject"] for hit in hits] == ["Offer letter for alice from Globex"]


def test_search_shared_message_has_own_id(two_users: TwoUsers) -> None:
    alice_hits = two_users.alice.get("/api/search", params={"q": "invitation"}).json()
    bob_hits = two_users.bob.get("/api/search", params={"q": "invitation"}).json()

    assert [h["id"] for h in alice_hits["hits"]] == [make_doc_id("alice", SHARED_KEY)]
    assert [h["id"] for h in bob_hits["hits"]] == [make_doc_id("bob", SHARED_KEY)]


def test_email_of_other_user_is_404(two_users: TwoUsers) -> None:
    bob_private = make_doc_id("bob", "<private-bob@globex.example>")

    response = two_users.alice.get(f"/api/emails/{bob_private}")

    assert response.status_code == 404


def test_shared_email_of_other_user_is_404(two_users: TwoUsers) -> None:
    response = two_users.alice.get(f"/api/emails/{make_doc_id('bob', SHARED_KEY)}")

    assert response.status_code == 404


def test_chat_citations_are_own_messages(two_users: TwoUsers) -> None:
    answer = chat(two_users.alice, "show offers")
    cited = {citation["id"] for citation in answer["citations"]}
    alice_ids = {
        make_doc_id("alice", key)
        for key in (SHARED_KEY, "<private-alice@globex.example>")
    }

    assert cited
    assert cited <= alice_ids


def test_chat_answer_never_names_other_user(two_users: TwoUsers) -> None:
    answer = chat(two_users.alice, "summarize my job search")

    assert "bob" not in str(answer).lower()


def test_stream_citations_are_own_messages(two_users: TwoUsers) -> None:
    response = two_users.bob.get(
        "/api/chat/stream", params={"q": "show offers", "window_days": 90}
    )
    events = read_events(response)
    citations = next(
        e["data"]["citations"] for e in events if e["event"] == "citations"
    )

    bob_ids = {
        make_doc_id("bob", key) for key in (SHARED_KEY, "<private-bob@globex.example>")
    }

    assert citations
    assert {citation["id"] for citation in citations} <= bob_ids


def test_stream_resume_of_other_users_stream_replays_nothing(
    two_users: TwoUsers,
) -> None:
    params = {"q": "show offers", "window_days": 90}
    first = read_events(two_users.alice.get("/api/chat/stream", params=params))
    stream_id = first[0]["data"]["stream_id"]

    replay = read_events(
        two_users.bob.get(
            "/api/chat/stream",
            params={**params, "stream_id": stream_id},
            headers={"Last-Event-ID": first[0]["id"]},
        )
    )

    assert "alice" not in str(replay).lower()


def test_actions_are_scoped_by_owner(two_users: TwoUsers) -> None:
    chat(two_users.alice, "clean up promos older than 30 days")
    alice_actions = two_users.alice.get("/api/actions").json()["actions"]
    bob_actions = two_users.bob.get("/api/actions").json()["actions"]

    assert alice_actions
    assert bob_actions == []


def test_approving_other_users_action_is_404(two_users: TwoUsers) -> None:
    chat(two_users.alice, "clean up promos older than 30 days")
    action_id = two_users.alice.get("/api/actions").json()["actions"][0]["id"]

    approve = two_users.bob.post(f"/api/actions/{action_id}/approve")
    reject = two_users.bob.post(f"/api/actions/{action_id}/reject")
    still = two_users.alice.get("/api/actions").json()["actions"][0]["status"]

    assert approve.status_code == 404
    assert reject.status_code == 404
    assert still == "proposed"


def test_exceptions_are_scoped_by_owner(two_users: TwoUsers) -> None:
    added = two_users.alice.post("/api/exceptions", json={"sender": "shop.example"})
    exception_id = added.json()["id"]

    bob_list = two_users.bob.get("/api/exceptions").json()["exceptions"]
    bob_delete = two_users.bob.delete(f"/api/exceptions/{exception_id}")
    alice_list = two_users.alice.get("/api/exceptions").json()["exceptions"]

    assert added.status_code == 201
    assert bob_list == []
    assert bob_delete.status_code == 404
    assert [e["id"] for e in alice_list] == [exception_id]


def test_remembered_exception_is_scoped_by_owner(two_users: TwoUsers) -> None:
    chat(two_users.alice, "remember to keep mail from shop.example")

    alice_list = two_users.alice.get("/api/exceptions").json()["exceptions"]
    bob_list = two_users.bob.get("/api/exceptions").json()["exceptions"]

    assert len(alice_list) == 1
    assert bob_list == []


def test_stats_count_only_own_mail(two_users: TwoUsers) -> None:
    assert two_users.alice.get("/api/stats").json()["messages"] == 3


def test_metrics_need_metrics_token(two_users: TwoUsers) -> None:
    response = two_users.alice.get("/metrics")

    assert response.status_code == 401


def test_metrics_with_metrics_token_are_served(two_users: TwoUsers) -> None:
    with two_users.api.client(headers={"Authorization": "Bearer scrape-me"}) as c:
        response = c.get("/metrics")

    assert response.status_code == 200
    assert "applylens_http_requests_total" in response.text


def test_follow_up_matches_owner_address_case_insensitively(
    start_api: ApiFactory, multi_settings: Settings, tmp_path: Path
) -> None:
    store = SQLiteStore(tmp_path / "threads.db")
    store.add_messages(
        [
            make_message(
                "erin",
                "<ask-1@acme.example>",
                "Can you send your portfolio?",
                days_ago=12,
                labels=("recruiter_outreach",),
                thread_id="t-answered",
                to=("erin@example.com",),
            ),
            make_message(
                "erin",
                "<reply-1@example.com>",
                "Re: Can you send your portfolio?",
                sender="ERIN@Example.COM",
                sender_name="Erin",
                days_ago=11,
                labels=("personal",),
                thread_id="t-answered",
            ),
            make_message(
                "erin",
                "<ask-2@globex.example>",
                "Are you available for a call?",
                sender="hr@globex.example",
                days_ago=12,
                labels=("recruiter_outreach",),
                thread_id="t-waiting",
                to=("erin@example.com",),
            ),
        ]
    )
    _, token = add_user(multi_settings.state_path, "erin", ["erin@example.com"])
    api = start_api(store, app_settings=multi_settings)
    with api.client(headers={"Authorization": f"Bearer {token}"}) as client:
        answer = chat(client, "which recruiters are waiting on a follow-up?")
    store.close()
    subjects = {citation["subject"] for citation in answer["citations"]}

    assert answer["intent"] == "follow_up"
    assert "Are you available for a call?" in subjects
    assert "Can you send your portfolio?" not in subjects
    assert "Re: Can you send your portfolio?" not in subjects
