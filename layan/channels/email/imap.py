"""Poll IMAP mailboxes: fetch new messages by UID, take each in through the intake, and only
after its transaction committed mark it seen (or move it) on the server.

The order makes a crash harmless at any point: before the commit the message is fetched again
next time; after the commit and before the flag it is fetched again and recognised by its
(UIDVALIDITY, UID) as a duplicate. Fetching is bounded per run and resumes from the cursor.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from imap_tools import MailBox, MailboxLoginError, MailBoxUnencrypted
from imap_tools.consts import MailMessageFlags

from layan.channels import faults
from layan.channels.email.parse import parse_email
from layan.channels.intake import intake_failed, receive
from layan.channels.models import InboundRecord, Mailbox, Outcome
from layan.core import clock

logger = logging.getLogger(__name__)


@dataclass
class PollResult:
    mailbox: str
    fetched: int = 0
    imported: int = 0
    duplicates: int = 0
    failed: int = 0
    uidvalidity_changed: bool = False
    stopped_early: str = ""
    error: str = ""


def _connect(mailbox: Mailbox) -> MailBox | MailBoxUnencrypted:
    box_class = MailBox if mailbox.ssl else MailBoxUnencrypted
    box = box_class(mailbox.host, mailbox.port, timeout=30)
    box.login(mailbox.username, mailbox.password, initial_folder=mailbox.folder)
    return box


def _fetch_raw(box: MailBox | MailBoxUnencrypted, uid: int) -> bytes | None:
    """Fetch the exact bytes of one message without marking it seen."""
    status, data = box.client.uid("fetch", str(uid), "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _settle(box: MailBox | MailBoxUnencrypted, mailbox: Mailbox, uids: list[int]) -> None:
    """Mark committed messages seen (or move them), then remember that we did."""
    if not uids:
        return
    text = [str(uid) for uid in uids]
    if mailbox.action == Mailbox.Action.MOVE and mailbox.move_to:
        box.move(text, mailbox.move_to)
    else:
        box.flag(text, MailMessageFlags.SEEN, True)
    faults.point("imap.after_flag")
    InboundRecord.objects.filter(
        mailbox=mailbox, uidvalidity=mailbox.uidvalidity, uid__in=uids
    ).update(flagged=True)


def _config_stamp(mailbox: Mailbox) -> object:
    return Mailbox.objects.filter(pk=mailbox.pk).values_list("updated_at", "active").first()


def _secretless(error: BaseException, mailbox: Mailbox) -> str:
    text = f"{type(error).__name__}: {error}"
    if mailbox.password:
        text = text.replace(mailbox.password, "***")
    return re.sub(r"\s+", " ", text)[:300]


def mailbox_poll(mailbox: Mailbox, *, batch: int | None = None) -> PollResult:
    """Import up to `batch` new messages from one mailbox."""
    result = PollResult(mailbox=mailbox.name)
    batch = batch or settings.LAYAN_IMAP_BATCH
    stamp = _config_stamp(mailbox)
    try:
        with _connect(mailbox) as box:
            status = box.folder.status(mailbox.folder, ["UIDVALIDITY"])
            uidvalidity = int(status["UIDVALIDITY"])
            if mailbox.uidvalidity is not None and uidvalidity != mailbox.uidvalidity:
                # The mailbox was rebuilt: UIDs mean nothing now. Re-read everything; the
                # content fingerprints recognise what we already have.
                logger.warning(
                    "imap_uidvalidity_changed",
                    extra={"mailbox": mailbox.name, "old": mailbox.uidvalidity, "new": uidvalidity},
                )
                result.uidvalidity_changed = True
                mailbox.last_uid = 0
            mailbox.uidvalidity = uidvalidity
            Mailbox.objects.filter(pk=mailbox.pk).update(
                uidvalidity=uidvalidity, last_uid=mailbox.last_uid
            )
            # Messages committed last time but not yet flagged (a crash in between).
            pending = list(
                InboundRecord.objects.filter(
                    mailbox=mailbox,
                    uidvalidity=uidvalidity,
                    flagged=False,
                )
                .exclude(outcome=Outcome.PENDING)
                .values_list("uid", flat=True)
            )
            _settle(box, mailbox, [uid for uid in pending if uid is not None])
            # Messages that failed before are tried again first, until they are quarantined.
            retry = list(
                InboundRecord.objects.filter(
                    mailbox=mailbox, uidvalidity=uidvalidity, outcome=Outcome.PENDING
                ).values_list("uid", flat=True)
            )
            found = box.uids(f"UID {mailbox.last_uid + 1}:*")
            fresh = sorted(int(uid) for uid in found if int(uid) > mailbox.last_uid)
            uids = [uid for uid in retry if uid is not None] + fresh[: max(batch - len(retry), 0)]
            for uid in uids:
                if _config_stamp(mailbox) != stamp:
                    # An admin changed the mailbox: stop rather than go on with stale settings.
                    result.stopped_early = "mailbox settings changed"
                    break
                _take(box, mailbox, uid, uidvalidity, result)
    except (MailboxLoginError, OSError, TimeoutError) as error:
        result.error = _secretless(error, mailbox)
        logger.warning("imap_poll_failed", extra={"mailbox": mailbox.name, "error": result.error})
    except Exception as error:
        result.error = _secretless(error, mailbox)
        logger.exception("imap_poll_crashed", extra={"mailbox": mailbox.name})
        raise
    finally:
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_polled_at=clock.now(), last_error=result.error
        )
    return result


def _take(
    box: MailBox | MailBoxUnencrypted,
    mailbox: Mailbox,
    uid: int,
    uidvalidity: int,
    result: PollResult,
) -> None:
    raw = _fetch_raw(box, uid)
    result.fetched += 1
    if raw is None:
        return
    faults.point("imap.after_fetch")
    message = parse_email(raw, max_attachment_bytes=settings.LAYAN_MAX_ATTACHMENT_BYTES)
    retry_later = False
    try:
        outcome = receive(
            message, mailbox=mailbox, imap=(uidvalidity, uid), source=f"imap:{mailbox.name}"
        )
    except faults.InjectedFault:
        raise
    except Exception as error:
        record = intake_failed(message, error=error, mailbox=mailbox, imap=(uidvalidity, uid))
        result.failed += 1
        retry_later = record.outcome == Outcome.PENDING
    else:
        if outcome.outcome == Outcome.DUPLICATE:
            result.duplicates += 1
        else:
            result.imported += 1
    faults.point("imap.after_commit")
    Mailbox.objects.filter(pk=mailbox.pk, last_uid__lt=uid).update(last_uid=uid)
    mailbox.last_uid = max(mailbox.last_uid, uid)
    if not retry_later:
        _settle(box, mailbox, [uid])


def mailboxes_poll() -> list[PollResult]:
    """Poll every active mailbox; a failing one does not stop the rest."""
    results = []
    for mailbox in Mailbox.objects.filter(active=True).order_by("pk"):
        try:
            results.append(mailbox_poll(mailbox))
        except Exception as error:
            results.append(PollResult(mailbox=mailbox.name, error=_secretless(error, mailbox)))
    return results
