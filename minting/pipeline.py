"""The minting pipeline: each resident goes render → store on IPFS → mint → confirm, and the
mint-job table records every step so that rerunning the same command resumes a crashed run.

**Which number goes on the card.** The contract assigns resident numbers (lastResidentNumber
+ 1, + 2, … in batch order), yet the number is printed on the card, whose bytes fix the image
CID, which is inside the metadata, whose digest is what the mint carries. So the number must
be known before the mint. Each batch therefore reads `lastResidentNumber()` and renders its
residents just before it is submitted, for the numbers they will get in that order; it reads
the counter once more right before signing and re-plans (re-renders) if someone else minted
in between. The alternative, minting first and fixing the metadata afterwards with
`updateMetadata`, costs a second transaction per card. That second transaction remains only
as the repair for the narrow race where another mint lands between that last read and our
transaction being mined: the mined numbers come from the Transfer logs, and a card whose
number differs from its plan is re-rendered and its metadata updated.

**Crash safety.** The state of each resident is committed at every step boundary (after a
batch is rendered, after it is stored, when its transaction is signed — before it is sent —,
and when it is confirmed). Rendering is deterministic and IPFS adds are idempotent, so
repeating those steps is harmless. The only step that must not be repeated blindly is the
mint: a resident left `submitted` may or may not be on chain. On the next run the chain is
asked which card the recipient holds — reliable because a wallet holds at most one card — and
the card found there is accepted only if its metadata digest is this resident's; otherwise the
resident goes back to `stored` and is minted again. Even a mistake here cannot mint twice:
the contract refuses a second card for a wallet.

**Batch size.** A transaction may use at most 2^24 gas (EIP-7825) and no more than the node's
block gas limit. Before a batch is rendered, its mint is estimated (with stand-in digests) and
the batch shrunk to what fits with headroom, so a too-large `--batch-size` costs a message, not
minutes of rendering followed by a refused transaction.

The transaction hash is learnt when the minter signs (through a thin wrapper around its
account), so the job table holds it before the transaction leaves the process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.cards.models import IssuedCard
from app.chain.client import ResidentRegistry
from app.chain.models import Holding
from app.extensions import db
from app.timeutil import utcnow
from minting.cards import CardFace, CardTemplate, render_card, render_thumbnail
from minting.errors import ContractRejected, GasCapExceeded, MintError, TransactionFailed
from minting.ipfs import IpfsBackend, digest_from_raw_cid, file_cid
from minting.metadata import ResidentCard, metadata_json
from minting.minter import Minter
from minting.models import OPEN_STEPS, MintJob, MintJobResident, Step

#: Environment variable naming a step boundary at which the process hard-exits, for crash tests:
#: "stored" exits the first time a batch is stored, "stored:2" the second time.
FAULT_ENV = "RESIDENTS_MINT_FAULT"
FAULT_EXIT_CODE = 75
#: Step boundaries, in the order a batch reaches them ("mined": the receipt is in, not yet recorded).
BOUNDARIES = ("rendered", "stored", "submitted", "mined", "confirmed")

DEFAULT_BATCH_SIZE = 100
#: Blocks below the head within which a confirmed card is checked again on resume; deeper blocks
#: are final for our purposes (anvil loses at most its last second, public-chain reorgs are shallow).
RECHECK_DEPTH = 64

#: The contract's refusals that name one bad entry of a batch: that resident fails, the rest go on.
_ENTRY_REFUSALS = ("MintBatchRecipientHoldsCard", "MintBatchDuplicateRecipient", "MintBatchInvalidRecipient")

FaultHook = Callable[[str], None]
Progress = Callable[[int], None]
Notice = Callable[[str], None]


class InjectedFault(Exception):
    """Raised by a test's fault hook to stop a run at a step boundary, as a crash would."""


def raise_at(boundary: str, nth: int = 1) -> FaultHook:
    """Return a fault hook that raises InjectedFault the `nth` time `boundary` is reached."""
    return _fault_at(boundary, nth, lambda: _raise(InjectedFault(f"injected fault at {boundary} #{nth}")))


def fault_from_environment(environ: dict[str, str] | os._Environ[str] = os.environ) -> FaultHook | None:
    """Return a hook that kills the process (os._exit) at the boundary named in RESIDENTS_MINT_FAULT."""
    spec = environ.get(FAULT_ENV, "").strip()
    if not spec:
        return None
    boundary, _, count = spec.partition(":")
    if boundary not in BOUNDARIES or (count and not count.isdigit()):
        raise MintError(f"Setting {FAULT_ENV}: expected one of {', '.join(BOUNDARIES)}, optionally ':N', got {spec!r}.")
    return _fault_at(boundary, int(count or 1), lambda: os._exit(FAULT_EXIT_CODE))


def _fault_at(boundary: str, nth: int, act: Callable[[], object]) -> FaultHook:
    if boundary not in BOUNDARIES:
        raise ValueError(f"unknown boundary {boundary!r}; use one of {BOUNDARIES}")
    seen = 0

    def hook(reached: str) -> None:
        nonlocal seen
        if reached == boundary:
            seen += 1
            if seen == nth:
                act()

    return hook


def _raise(exc: BaseException) -> None:
    raise exc


def profile_url(site_url: str, resident_number: int) -> str:
    """Return the public profile page of a resident, which the card's QR code points at."""
    return f"{site_url.rstrip('/')}/residents/{resident_number}"


@dataclass(frozen=True)
class MintTools:
    """Everything a run needs: the contract (reads), the minter (writes), IPFS and the card design."""

    registry: ResidentRegistry
    minter: Minter
    store: IpfsBackend
    template: CardTemplate
    site_url: str


@dataclass
class StepTimes:
    """Seconds spent in each kind of work during a run."""

    render: float = 0.0
    ipfs: float = 0.0
    chain: float = 0.0
    database: float = 0.0


@dataclass(frozen=True)
class RunReport:
    """What one run of a job did, and where the job stands."""

    job_id: int
    minted_now: int
    confirmed: int
    failed: int
    still_open: int
    skipped: int
    times: StepTimes = field(default_factory=StepTimes)


@dataclass(frozen=True)
class PreparedCard:
    """A resident's card rendered for one number, with its metadata, and both CIDs."""

    resident_number: int
    image: bytes
    image_cid: str
    metadata: bytes
    metadata_cid: str


class _SigningWitness:
    """Wraps the minting account to learn each transaction's hash once signed, before it is sent."""

    def __init__(self, account: Any) -> None:
        self._account = account
        self.on_signed: Callable[[str], None] | None = None

    def sign_transaction(self, transaction: Any) -> Any:
        signed = self._account.sign_transaction(transaction)
        if self.on_signed is not None:
            self.on_signed(signed.hash.to_0x_hex())
        return signed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._account, name)


class MintPipeline:
    """Carries the open residents of a job through every step, in batches of `batch_size`.

    Unlike a service, the pipeline commits (through `checkpoint`) at each step boundary: the
    job table is the run's crash log, and a step recorded only in memory is a step lost.
    """

    def __init__(
        self,
        tools: MintTools,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        fault: FaultHook | None = None,
        progress: Progress | None = None,
        checkpoint: Callable[[], None] | None = None,
        notice: Notice | None = None,
    ) -> None:
        if batch_size < 1:
            raise MintError(f"The batch size must be at least 1, got {batch_size}.")
        self.tools = tools
        self.batch_size = batch_size
        self.times = StepTimes()
        self._fault = fault or (lambda boundary: None)
        self._progress = progress or (lambda count: None)
        self._checkpoint = checkpoint or db.session.commit
        self._notice = notice or (lambda message: None)
        self._witness = _SigningWitness(tools.minter.account)
        self._minter = Minter(tools.minter.w3, self._witness, tools.minter.receipt_timeout, tools.minter.send_lock)  # type: ignore[arg-type]
        self._minted_now = 0

    # ---- the run --------------------------------------------------------------------------

    def run(self, job: MintJob) -> RunReport:
        """Resume `job` where it stopped and carry every open resident to confirmed or failed."""
        # Only this run writes the job's rows, so what it holds in memory stays true after each
        # commit; reloading a thousand rows after every checkpoint would cost more than minting.
        session = db.session()
        expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
        try:
            self._recheck_recent(job)
            self._reconcile([row for row in job.residents if row.state == Step.SUBMITTED])
            while True:
                chunk = [row for row in job.residents if row.state in OPEN_STEPS][: self.batch_size]
                if not chunk:
                    break
                self._mint_batch(job, self._fitting(job, chunk))
            if job.finished_at is None:
                job.finished_at = utcnow()
                self._commit()
        finally:
            session.expire_on_commit = expire_on_commit
        return self.report(job)

    def report(self, job: MintJob) -> RunReport:
        states = [row.state for row in job.residents]
        return RunReport(
            job_id=job.id,
            minted_now=self._minted_now,
            confirmed=states.count(Step.CONFIRMED),
            failed=states.count(Step.FAILED),
            still_open=sum(states.count(step) for step in OPEN_STEPS),
            skipped=len(job.skipped or ()),
            times=self.times,
        )

    def _fitting(self, job: MintJob, chunk: list[MintJobResident]) -> list[MintJobResident]:
        """The part of `chunk` one transaction can carry here; shrinks the batch size for the run."""
        if len(chunk) == 1:
            return chunk
        try:
            fit = self._chain(lambda: self._minter.batch_fit(job.contract_address, [row.address for row in chunk]))
        except ContractRejected:
            return chunk  # an entry the contract refuses: submitting says which, and fails only it
        if fit.fits < len(chunk):
            self._shrink(len(chunk), fit.fits, fit.gas_cap, fit.block_gas_limit)
        return chunk[: fit.fits]

    def _shrink(self, requested: int, fits: int, gas_cap: int, block_gas_limit: int) -> None:
        self.batch_size = max(1, fits)
        self._notice(
            f"A batch of {requested} cards does not fit in one transaction: at most {gas_cap:,} gas may be used "
            f"(EIP-7825 caps a transaction at 16,777,216; this node's block gas limit is {block_gas_limit:,}). "
            f"Minting {self.batch_size} cards per transaction instead."
        )

    def _mint_batch(self, job: MintJob, chunk: list[MintJobResident]) -> None:
        last = self._chain(self.tools.registry.last_resident_number)
        planned = {row.id: last + 1 + index for index, row in enumerate(chunk)}

        images = {row.id: self._render(row, planned[row.id]) for row in chunk if not _stored_for(row, planned[row.id])}
        self._commit()
        self._fault("rendered")

        for row in chunk:
            if row.id in images:
                self._store(row, images.pop(row.id))
        self._commit()
        self._fault("stored")

        # Another minter may have issued cards while we rendered: then re-plan this batch.
        if self._chain(self.tools.registry.last_resident_number) != last:
            return
        self._submit(job, chunk)

    def _submit(self, job: MintJob, chunk: list[MintJobResident]) -> None:
        def signed(transaction_hash: str) -> None:
            for row in chunk:
                row.state = Step.SUBMITTED
                row.transaction_hash = transaction_hash
            self._commit()
            self._fault("submitted")

        recipients = [row.address for row in chunk]
        digests = [digest_from_raw_cid(row.metadata_cid or "") for row in chunk]
        self._witness.on_signed = signed
        started = time.perf_counter()
        try:
            issued = self._minter.mint_batch(job.contract_address, recipients, digests)
        except GasCapExceeded as exc:
            # The node's limit changed since the batch was sized (nothing was sent): re-plan smaller.
            if not exc.fits or exc.fits >= len(chunk):
                raise
            self._shrink(len(chunk), exc.fits, exc.gas_cap, exc.block_gas_limit)
            return
        except ContractRejected as exc:
            if exc.transaction_hash is None and exc.error_name in _ENTRY_REFUSALS:
                self._fail_entry(chunk, exc)
                return
            self._after_revert(chunk, exc)
            return
        except TransactionFailed as exc:
            self._after_revert(chunk, exc)
            return
        finally:
            self._witness.on_signed = None
            self.times.chain += time.perf_counter() - started
        self._fault("mined")

        block = issued.receipt.block_number
        for row, number in zip(chunk, issued.resident_numbers, strict=True):
            if number == row.resident_number:
                self._confirm(row, number, block)
            else:
                self._repair(row, number, block)
        self._commit()
        self._progress(len(chunk))
        self._fault("confirmed")

    def _after_revert(self, chunk: list[MintJobResident], exc: TransactionFailed) -> None:
        """A signed batch was not mined as sent: ask the chain what became of each resident.

        Mined but reverted most likely means an earlier transaction for these residents (still
        pending when this run began) got there first. If the chain shows none of them, the
        failure is not of that kind and retrying would only repeat it, so it is raised.
        """
        if exc.transaction_hash is None or "not mined within" in exc.reason:
            raise exc  # nothing was sent, or it may still be mined: the next run asks the chain
        self._reconcile(chunk)
        if all(row.state == Step.STORED for row in chunk):
            raise exc

    def _fail_entry(self, chunk: list[MintJobResident], exc: ContractRejected) -> None:
        """Fail the one resident the contract refused; the others are re-planned without it."""
        index = int(exc.arguments.get("index", -1))
        if not 0 <= index < len(chunk):
            raise exc
        row = chunk[index]
        if exc.error_name == "MintBatchRecipientHoldsCard":
            reason = f"{row.address} received a card from someone else before this run minted it; nothing to do"
        else:
            reason = str(exc)
        self._fail(row, reason)
        self._commit()
        self._progress(1)

    # ---- steps ----------------------------------------------------------------------------

    def _render(self, row: MintJobResident, number: int) -> bytes:
        started = time.perf_counter()
        face = CardFace(number, row.display_name, row.issued_on, profile_url(self.tools.site_url, number))
        image = render_card(self.tools.template, face)
        self.times.render += time.perf_counter() - started
        row.state = Step.RENDERED
        row.resident_number = number
        row.image_cid = file_cid(image)
        row.metadata_cid = None
        return image

    def _store(self, row: MintJobResident, image: bytes) -> None:
        assert row.resident_number is not None
        prepared = self._store_card(row, row.resident_number, image)
        row.image_cid = prepared.image_cid
        row.metadata_cid = prepared.metadata_cid
        row.state = Step.STORED

    def _store_card(self, row: MintJobResident, number: int, image: bytes) -> PreparedCard:
        started = time.perf_counter()
        image_cid = self.tools.store.add(image)
        card = ResidentCard(number, row.issued_on, image_cid, profile_url(self.tools.site_url, number), row.batch)
        metadata = metadata_json(card)
        metadata_cid = self.tools.store.add(metadata)
        self.times.ipfs += time.perf_counter() - started
        return PreparedCard(number, image, image_cid, metadata, metadata_cid)

    def _prepare(self, row: MintJobResident, number: int) -> PreparedCard:
        """Render and store the card of `row` for `number` (used when the chain gave another number)."""
        started = time.perf_counter()
        image = render_card(self.tools.template, CardFace(number, row.display_name, row.issued_on, profile_url(self.tools.site_url, number)))
        self.times.render += time.perf_counter() - started
        return self._store_card(row, number, image)

    def _confirm(self, row: MintJobResident, number: int, block: int | None) -> None:
        row.state = Step.CONFIRMED
        row.resident_number = number
        row.block_number = block
        row.error = None
        assert row.image_cid is not None and row.metadata_cid is not None
        started = time.perf_counter()
        thumbnail_cid = store_thumbnail(self.tools.store, self.tools.store.cat(row.image_cid))
        self.times.render += time.perf_counter() - started
        record_issued_card(row, number, row.image_cid, row.metadata_cid, thumbnail_cid)
        self._minted_now += 1

    def _fail(self, row: MintJobResident, reason: str) -> None:
        row.state = Step.FAILED
        row.error = reason

    def _repair(self, row: MintJobResident, number: int, block: int | None) -> None:
        """The chain gave `row` card `number`, not the number its image shows: fix the metadata."""
        prepared = self._prepare(row, number)
        try:
            self._chain(
                lambda: self._minter.update_metadata(row.job.contract_address, number, digest_from_raw_cid(prepared.metadata_cid))
            )
        except MintError as exc:
            # The card exists; only its picture is wrong. Keep it confirmed and say how to fix it.
            self._confirm(row, number, block)
            row.error = (
                f"card {number} was minted while another mint moved the numbers, so its image shows "
                f"{row.resident_number}; fixing it failed ({exc}). Run `residents update-card {number}`."
            )
            return
        row.image_cid = prepared.image_cid
        row.metadata_cid = prepared.metadata_cid
        self._confirm(row, number, block)

    def _recheck_recent(self, job: MintJob) -> None:
        """Make sure recently confirmed cards are still on the chain before trusting them.

        A chain can lose its newest blocks: a local anvil killed before it saved its state, or a
        reorganisation on a public chain. A row confirmed in such a block names a card that no
        longer exists, so it goes back to "submitted" and `_reconcile` finds out what is true now.
        """
        recent = [row for row in job.residents if row.state == Step.CONFIRMED]
        if not recent:
            return
        head = self._chain(self.tools.registry.latest_block)
        registry = self.tools.registry
        for row in recent:
            if row.block_number is not None and row.block_number <= head - RECHECK_DEPTH:
                continue
            number = row.resident_number
            if number is not None and self._chain(lambda number=number: registry.owner_of(number)) == row.address:
                continue
            row.state = Step.SUBMITTED
            stale = db.session.get(IssuedCard, number) if number is not None else None
            if stale is not None and stale.metadata_cid == row.metadata_cid:
                db.session.delete(stale)
        self._commit()

    def _reconcile(self, rows: Sequence[MintJobResident]) -> None:
        """Find out on chain what became of residents whose transaction was signed."""
        if not rows:
            return
        registry = self.tools.registry
        held = self._chain(lambda: registry.cards_of([row.address for row in rows]))
        for row in rows:
            number = held.get(row.address)
            if number is None:
                row.state = Step.STORED  # never mined: mint it again (re-planned if numbers moved)
                continue
            on_chain = self._chain(lambda number=number: registry.metadata_digest(number))
            ours = digest_from_raw_cid(row.metadata_cid or "")
            block = _minted_block(number)
            if on_chain == ours and number == row.resident_number:
                self._confirm(row, number, block)
            elif on_chain == ours:
                self._repair(row, number, block)
            else:
                # Perhaps a repair already went through before the crash.
                prepared = self._prepare(row, number)
                if digest_from_raw_cid(prepared.metadata_cid) == on_chain:
                    row.image_cid, row.metadata_cid = prepared.image_cid, prepared.metadata_cid
                    self._confirm(row, number, block)
                else:
                    self._fail(row, f"{row.address} holds card {number}, which this job did not issue; nothing to do")
            if row.state != Step.STORED:
                self._progress(1)
        self._commit()

    # ---- helpers --------------------------------------------------------------------------

    def _chain(self, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return call()
        finally:
            self.times.chain += time.perf_counter() - started

    def _commit(self) -> None:
        started = time.perf_counter()
        self._checkpoint()
        self.times.database += time.perf_counter() - started


def _stored_for(row: MintJobResident, number: int) -> bool:
    """True when the resident's card for `number` is already on IPFS (a resumed batch)."""
    return row.state == Step.STORED and row.resident_number == number and row.metadata_cid is not None


def _minted_block(resident_number: int) -> int | None:
    """The mint block of a card found on chain after a crash, if the indexer has seen it."""
    return db.session.scalar(sa.select(Holding.minted_block).where(Holding.resident_number == resident_number))


def store_thumbnail(store: IpfsBackend, card_png: bytes) -> str:
    """Store the small rendition of a card and return its CID."""
    return store.add(render_thumbnail(card_png))


def record_issued_card(row: MintJobResident, number: int, image_cid: str, metadata_cid: str, thumbnail_cid: str) -> IssuedCard:
    """Write (or overwrite) the site's record of card `number`."""
    card = db.session.get(IssuedCard, number) or IssuedCard(resident_number=number)
    card.image_cid = image_cid
    card.thumbnail_cid = thumbnail_cid
    card.metadata_cid = metadata_cid
    card.display_name = row.display_name
    card.issued_on = row.issued_on
    card.batch = row.batch
    db.session.add(card)
    return card
