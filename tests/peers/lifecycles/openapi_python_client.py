"""The conversation lifecycle through a client that openapi-python-client generated from the spec.

Run as ``python openapi_python_client.py BASE_URL TOKEN GROUP_ID`` with the generated package
``conversations_opc`` importable; prints the ids it kept and deleted as JSON, exits 1 on a mismatch.
"""

from __future__ import annotations

import json
import sys

from conversations_opc import AuthenticatedClient
from conversations_opc.api.conversations import (
    create_conversation,
    delete_conversation,
    get_conversation,
    list_conversations,
    update_conversation,
)
from conversations_opc.models import (
    ContactConversationRequest,
    Conversation,
    ConversationList,
    Error,
    FormNull,
    GroupConversationRequest,
    UpdateConversationForm,
    UpdateConversationRequest,
)

CONTACT = "WAz8eIbvDR60rouK"
MESSAGE = "xgQQXg3hrtjh7AvZ"
ARCHIVED_AT = 705103200


def _conversation(answer: object) -> Conversation:
    assert isinstance(answer, Conversation), answer
    return answer


def _page(answer: object) -> ConversationList:
    assert isinstance(answer, ConversationList), answer
    return answer


def main(base_url: str, token: str, group: str) -> None:
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    contact = _conversation(
        create_conversation.sync(client=client, body=ContactConversationRequest(contact_id=CONTACT))
    )
    assert (contact.contact_id, contact.group_id) == (CONTACT, None)
    first = _conversation(
        create_conversation.sync(client=client, body=GroupConversationRequest(group_id=group))
    )
    second = _conversation(
        create_conversation.sync(
            client=client, body=GroupConversationRequest(group_id=group, contact_id=None)
        )
    )
    assert (second.group_id, second.contact_id) == (group, None)
    newest_first = [second.id, first.id, contact.id]

    # Follow the cursors one conversation at a time, forwards and then back.
    seen: list[str] = []
    page = _page(list_conversations.sync(client=client, limit=1))
    seen += [c.id for c in page.data]
    while page.has_more:
        page = _page(list_conversations.sync(client=client, limit=1, starting_after=seen[-1]))
        seen += [c.id for c in page.data]
    assert seen == newest_first, seen
    back = _page(list_conversations.sync(client=client, ending_before=contact.id))
    assert [c.id for c in back.data] == newest_first[:2]
    grouped = _page(list_conversations.sync(client=client, group_id=group))
    assert [c.id for c in grouped.data] == [second.id, first.id]

    pinned = _conversation(
        update_conversation.sync(
            contact.id,
            client=client,
            body=UpdateConversationRequest(
                pinned_message_id=MESSAGE, is_pinned=True, is_muted=True, archived_at=ARCHIVED_AT
            ),
        )
    )
    assert (pinned.pinned_message_id, pinned.is_pinned, pinned.is_muted) == (MESSAGE, True, True)
    assert pinned.archived_at == ARCHIVED_AT
    for flag in ("muted", "pinned", "archived"):
        flagged = _page(list_conversations.sync(client=client, **{flag: True}))
        assert [c.id for c in flagged.data] == [contact.id], flag

    # Unpin and unarchive with JSON nulls, set the flags back to false...
    cleared = _conversation(
        update_conversation.sync(
            contact.id,
            client=client,
            body=UpdateConversationRequest(
                pinned_message_id=None, archived_at=None, is_pinned=False, is_muted=False
            ),
        )
    )
    assert (cleared.pinned_message_id, cleared.archived_at) == (None, None)
    assert (cleared.is_pinned, cleared.is_muted) == (False, False)
    assert _page(list_conversations.sync(client=client, muted=True)).data == []
    # ... and once more in a form body, where an empty value is null.
    update_conversation.sync(
        contact.id, client=client, body=UpdateConversationRequest(pinned_message_id=MESSAGE)
    )
    unpinned = _conversation(
        update_conversation.sync(
            contact.id,
            client=client,
            body=UpdateConversationForm(pinned_message_id=FormNull.VALUE_0),
        )
    )
    assert unpinned.pinned_message_id is None
    assert _conversation(get_conversation.sync(contact.id, client=client)) == unpinned

    gone = delete_conversation.sync_detailed(first.id, client=client)
    assert gone.status_code == 204, gone
    missing = get_conversation.sync_detailed(first.id, client=client)
    assert missing.status_code == 404 and isinstance(missing.parsed, Error), missing
    assert missing.parsed.type_.value == "invalid_request"
    print(json.dumps({"kept": [second.id, contact.id], "deleted": [first.id]}))


if __name__ == "__main__":
    main(*sys.argv[1:])
