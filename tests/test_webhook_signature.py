"""The webhook signature a receiver checks (README: HMAC-SHA256 under the secret over "TIMESTAMP.BODY"), against
values computed outside crisisplan (issue 18, failure 7: a SHA-1 that ignored the secret passed every test)."""

from __future__ import annotations

from crisisplan.publish import outbox

BODY = b'{"event":"post.published"}'


def test_the_signature_matches_openssl() -> None:
    # printf '1767258000.{"event":"post.published"}' | openssl dgst -sha256 -hmac s3cret
    assert outbox.signature("s3cret", "1767258000", BODY) == \
        "sha256=975bddc2faa33ac0941a6ae0b0296f1e3e014edff244e4b831ad08c131f26798"


def test_the_signature_depends_on_the_secret() -> None:
    # the same with -hmac other
    assert outbox.signature("other", "1767258000", BODY) == \
        "sha256=e34953f9c0cfb4862afb2448849b118c51f6ff21b178938b5bd5e9d784c538c5"
