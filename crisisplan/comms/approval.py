"""A post's review: draft → in review → approved → published (or scheduled).

The severity's policy decides what "approved" takes: `none` publishes a
draft as it is; `one` needs one approval; `two` needs the approval of a
person other than its author, so no one speaks alone for the organisation.
Editing the text withdraws every approval. Pure rules; services apply them.
"""

from __future__ import annotations

import difflib
from enum import StrEnum
from typing import Literal

from crisisplan.errors import CrisisplanError


class PostStatus(StrEnum):
    """Where a post stands in its review."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


DRAFT, IN_REVIEW, APPROVED, SCHEDULED, PUBLISHED = PostStatus
Policy = Literal["none", "one", "two"]  # how many approvals a severity asks before a post goes out


class ReviewError(CrisisplanError):
    """A review step that the post's status or the approval policy does not allow."""


def ready_to_publish(policy: str, status: str, author: str, approvals: list[dict[str, str]],
                     required: str = "") -> bool:
    """Whether the post can go out now: not out already, and approved as the severity's policy asks.

    `one` is one approval by somebody other than the author; `two`, two other people; `none`
    (a team of one) needs nobody. `required` names a person whose approval the post also needs
    (the holder of the role the runbook asks for, e.g. legal counsel on a security statement).
    """
    if status in (PUBLISHED, SCHEDULED):
        return False
    if policy == "none" and not required:
        return True
    if status != APPROVED:
        return False
    return approved_after(policy, author, approvals, required)


def check_submit(status: str) -> None:
    """Refuse to send a post for review unless it is still a draft."""
    if status != DRAFT:
        raise ReviewError(f"only a draft can be submitted for review; this post is {status}")


def check_approve(policy: str, status: str, author: str, approvals: list[dict[str, str]], actor: str) -> None:
    """Refuse an approval the status or the policy does not allow, such as authors approving their own post."""
    if status != IN_REVIEW:
        raise ReviewError(f"only a post in review can be approved; this post is {status}"
                          + (" (submit it first)" if status == DRAFT else ""))
    if policy in ("one", "two") and actor == author:
        raise ReviewError(f"{actor} wrote this post and cannot approve it: this severity needs a second person")
    if any(a["by"] == actor for a in approvals):
        raise ReviewError(f"{actor} has approved this post already; it needs somebody else")


def approved_after(policy: str, author: str, approvals: list[dict[str, str]], required: str = "") -> bool:
    """Whether the approvals so far satisfy the policy (and include the required person's)."""
    others = {a["by"] for a in approvals if a["by"] != author}
    enough = {"none": 0, "one": 1, "two": 2}.get(policy, 1)
    return len(others) >= enough and (not required or required in others)


def check_reject(status: str, comment: str) -> None:
    """Refuse to reject a post that is not awaiting publication, or a rejection that does not say why."""
    if status not in (IN_REVIEW, APPROVED, SCHEDULED):
        raise ReviewError(f"only a post in review, approved or scheduled can be rejected; this post is {status}")
    if not comment.strip():
        raise ReviewError("say why it is rejected (--comment): the author needs to know what to change")


def check_edit(status: str) -> None:
    """Refuse to edit a published post: readers get a new update that corrects it instead."""
    if status == PUBLISHED:
        raise ReviewError("a published post cannot be edited; publish a new update that corrects it")


def text_diff(old: str, new: str, name: str) -> str:
    """Show the reviewer what an edit changed, as a diff of the text before and after."""
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"{name} (before)", tofile=f"{name} (after)"))
