"""Issuing and changing resident cards: the services behind `residents mint`, `mint-batch`,
`mint-status`, `ipfs add`, `revoke`, `recover` and `update-card`.

Services flush; the command commits. The mint pipeline is the exception: it commits at each
step boundary (see minting.pipeline).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa

from app.audit import service as audit
from app.cards.models import IssuedCard
from app.chain.client import ResidentRegistry
from app.chain.service import open_registry
from app.config import Config, instance_path
from app.extensions import db
from app.spreadsheet import BOM, csv_line
from app.timeutil import TOKYO
from minting.cards import CardFace, CardTemplate, default_template, render_card
from minting.csv_import import HeldCards, ResidentList, ResidentRow, read_resident_csv
from minting.errors import InvalidMintRequest, MintError
from minting.gateway import blockstore_path, local_blockstore
from minting.ipfs import IpfsBackend, KuboClient, digest_from_raw_cid, file_cid
from minting.keys import KeyRole, load_signing_account
from minting.metadata import MAX_BATCH_LENGTH, ResidentCard, metadata_json
from minting.minter import CardAdmin, ChainSigner, Minter, Receipt, RevocationReason
from minting.models import OPEN_STEPS, MintJob, MintJobResident, Step
from minting.pipeline import MintTools, PreparedCard, profile_url, store_thumbnail


S = TypeVar("S", bound=ChainSigner)

#: Where each job's report (one CSV line per resident) is written, inside the instance folder.
REPORTS_FOLDER = "mint-jobs"
JOB_REPORT_HEADER = ("line", "address", "display_name", "state", "resident_number", "image_cid", "metadata_cid", "token_uri", "transaction_hash", "block_number", "error")


class CardNotIssuedHere(MintError):
    """A command needs the site's record of a card that this site did not issue."""


# ---- opening the tools ---------------------------------------------------------------------


def open_store(config: Config) -> IpfsBackend:
    """Return the configured IPFS backend: the local block store, or a Kubo daemon."""
    if config.IPFS_BACKEND == "kubo":
        return KuboClient(config.IPFS_API_URL or "", timeout=config.IPFS_TIMEOUT_SECONDS)
    return local_blockstore(config)


def describe_store(config: Config) -> str:
    """Say where stored files are, for summaries."""
    if config.IPFS_BACKEND == "kubo":
        return f"the IPFS daemon at {config.IPFS_API_URL}"
    return f"the local block store {blockstore_path(config)} (served at {config.SITE_URL}/ipfs/<cid>)"


def open_signer(signer: type[S], role: KeyRole, config: Config, registry: ResidentRegistry, *, interactive: bool | None = None) -> S:
    """Build `role`'s signer from its configured key, on the registry's node, with the database's per-key send lock."""
    from app.chain.sendlock import DatabaseSendLock

    account = load_signing_account(role, config, interactive=sys.stdin.isatty() if interactive is None else interactive)
    return signer(registry.w3, account, send_lock=DatabaseSendLock(db.engine))


def open_tools(config: Config, *, interactive: bool | None = None) -> MintTools:
    """Connect to the chain and IPFS and load the minting key and card design."""
    registry = open_registry(config)
    minter = open_signer(Minter, KeyRole.MINTER, config, registry, interactive=interactive)
    return MintTools(registry, minter, open_store(config), default_template(), config.SITE_URL)


@dataclass(frozen=True)
class AdminTools:
    """The contract (reads) and the admin key (writes), for the admin commands."""

    registry: ResidentRegistry
    admin: CardAdmin


def open_admin_tools(config: Config, *, interactive: bool | None = None) -> AdminTools:
    """Connect to the chain and load the admin key (cold: only admin commands ask for it)."""
    registry = open_registry(config)
    return AdminTools(registry, open_signer(CardAdmin, KeyRole.ADMIN, config, registry, interactive=interactive))


def today_in_town() -> date:
    return datetime.now(TOKYO).date()


# ---- checking the list ---------------------------------------------------------------------


def held_cards(registry: ResidentRegistry) -> HeldCards:
    """Return a lookup of which wallets hold a card, asked of the chain for every wallet.

    The holdings table is not consulted: the indexer may lag behind a mint (the table says
    no) or a revocation (the table says yes), and the contract's balances are what a mint
    will be checked against (the Transfer logs then say which card).
    """

    def lookup(addresses: Sequence[str]) -> Mapping[str, int]:
        return dict(registry.cards_of(addresses))

    return lookup


def check_resident_csv(data: bytes, template: CardTemplate, registry: ResidentRegistry | None) -> ResidentList:
    """Parse and check the CSV, including (when a registry is given) which wallets hold a card."""
    return read_resident_csv(data, template, held_cards(registry) if registry is not None else None)


# ---- jobs ----------------------------------------------------------------------------------


def job_key(kind: str, chain_id: int, contract_address: str, content: bytes) -> str:
    """Identify a job by what it mints where: the same input on the same contract is the same job."""
    digest = hashlib.sha256()
    for part in (kind.encode(), str(chain_id).encode(), contract_address.lower().encode(), content):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def find_job(key: str) -> MintJob | None:
    return db.session.scalar(sa.select(MintJob).where(MintJob.key == key))


def default_batch_label(source: str) -> str:
    """The batch attribute of a CSV's cards when neither the line nor the command names one."""
    return (Path(source).stem or "residents")[:MAX_BATCH_LENGTH]


@dataclass(frozen=True)
class CsvJobRequest:
    source: str
    data: bytes
    chain_id: int
    contract_address: str
    batch_label: str


def create_csv_job(request: CsvJobRequest, residents: ResidentList, issued_on: date | None = None) -> MintJob:
    """Record a new job for the valid lines of a checked CSV (invalid ones are noted as skipped)."""
    default_day = issued_on or today_in_town()
    job = MintJob(
        key=job_key("csv", request.chain_id, request.contract_address, request.data),
        kind="csv",
        source=request.source[-512:],
        chain_id=request.chain_id,
        contract_address=request.contract_address,
        skipped=[problem.as_record() for problem in residents.problems],
    )
    job.residents = [
        _job_resident(position, row, default_day, row.batch or request.batch_label) for position, row in enumerate(residents.rows)
    ]
    db.session.add(job)
    db.session.flush()
    return job


@dataclass(frozen=True)
class SingleMintRequest:
    address: str
    display_name: str
    chain_id: int
    contract_address: str
    issued_on: date | None = None
    batch: str | None = None


def single_job_key(request: SingleMintRequest) -> str:
    given = "\x00".join([request.address.lower(), request.display_name, str(request.issued_on or ""), request.batch or ""])
    return job_key("single", request.chain_id, request.contract_address, given.encode())


def create_single_job(request: SingleMintRequest, row: ResidentRow) -> MintJob:
    """Record a job for one resident (the row as checked by the CSV rules)."""
    day = request.issued_on or today_in_town()
    job = MintJob(
        key=single_job_key(request),
        kind="single",
        source=row.address,
        chain_id=request.chain_id,
        contract_address=request.contract_address,
        skipped=[],
    )
    job.residents = [_job_resident(0, row, day, request.batch or f"{day:%Y-%m}")]
    db.session.add(job)
    db.session.flush()
    return job


def _job_resident(position: int, row: ResidentRow, default_day: date, batch: str) -> MintJobResident:
    return MintJobResident(
        position=position,
        line=row.line,
        address=row.address,
        display_name=row.display_name,
        issued_on=row.issued_on or default_day,
        batch=batch,
        state=Step.PENDING,
    )


def write_job_report(job: MintJob, config: Config) -> Path:
    """Write one CSV line per resident of the job (number, CIDs, transaction) and return its path."""
    folder = instance_path(config) / REPORTS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"job-{job.id}.csv"
    # The same writer as the site's CSV exports: a name such as =HYPERLINK(...) came from a CSV
    # someone else wrote, and the town office opens this file in a spreadsheet.
    with path.open("w", newline="", encoding="utf-8") as out:
        out.write(BOM + csv_line(JOB_REPORT_HEADER))
        for row in job.residents:
            number = row.resident_number if row.state == Step.CONFIRMED else None
            uri = f"ipfs://{row.metadata_cid}" if number else ""
            out.write(csv_line([row.line, row.address, row.display_name, row.state, number or "", row.image_cid or "", row.metadata_cid or "", uri, row.transaction_hash or "", row.block_number or "", row.error or ""]))
    return path


@dataclass(frozen=True)
class JobStatus:
    job: MintJob
    counts: Mapping[str, int]

    @property
    def open(self) -> int:
        return sum(self.counts.get(step, 0) for step in OPEN_STEPS)


def job_statuses(job_id: int | None = None) -> list[JobStatus]:
    """Return every job (newest first), or one job, with how many residents are at each step."""
    query = sa.select(MintJob).order_by(MintJob.id.desc())
    if job_id is not None:
        query = query.where(MintJob.id == job_id)
    jobs = list(db.session.scalars(query))
    if job_id is not None and not jobs:
        raise MintError(f"There is no mint job {job_id}. `residents mint-status` lists the jobs.")
    counts: dict[int, dict[str, int]] = {job.id: {} for job in jobs}
    if jobs:
        grouped = sa.select(MintJobResident.job_id, MintJobResident.state, sa.func.count()).where(MintJobResident.job_id.in_(counts)).group_by(MintJobResident.job_id, MintJobResident.state)
        for job_id_, state, count in db.session.execute(grouped):
            counts[job_id_][state] = count
    return [JobStatus(job, counts[job.id]) for job in jobs]


# ---- dry run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DryRunCard:
    line: int
    address: str
    resident_number: int
    image_cid: str
    metadata_cid: str


def dry_run(residents: ResidentList, template: CardTemplate, site_url: str, first_number: int, batch_label: str, issued_on: date | None = None) -> list[DryRunCard]:
    """Render every card and compute its CIDs as a run would now, storing and sending nothing."""
    day = issued_on or today_in_town()
    cards = []
    for offset, row in enumerate(residents.rows):
        number = first_number + offset
        image = render_card(template, CardFace(number, row.display_name, row.issued_on or day, profile_url(site_url, number)))
        image_cid = file_cid(image)
        metadata = metadata_json(ResidentCard(number, row.issued_on or day, image_cid, profile_url(site_url, number), row.batch or batch_label))
        cards.append(DryRunCard(row.line, row.address, number, image_cid, file_cid(metadata)))
    return cards


# ---- after issue: revoke, recover, update ---------------------------------------------------


def _require_card(registry: ResidentRegistry, resident_number: int) -> str:
    holder = registry.owner_of(resident_number)
    if holder is None:
        raise InvalidMintRequest(f"Card {resident_number} does not exist on {registry.address}: it was never issued, or it was revoked. Check the number.")
    return holder


def revoke_card(tools: AdminTools, resident_number: int, reason: RevocationReason, actor: str) -> Receipt:
    """Burn card `resident_number` with a reason, and write the audit log."""
    holder = _require_card(tools.registry, resident_number)
    receipt = tools.admin.revoke(tools.registry.address, resident_number, reason)
    audit.record(actor, "card.revoke", f"resident:{resident_number}", holder=holder, reason=reason.name.lower(), transaction_hash=receipt.transaction_hash, block_number=receipt.block_number)
    return receipt


def recover_card(tools: AdminTools, resident_number: int, new_holder: str, actor: str) -> Receipt:
    """Move card `resident_number` to `new_holder` (a lost wallet), and write the audit log."""
    holder = _require_card(tools.registry, resident_number)
    receipt = tools.admin.recover(tools.registry.address, resident_number, new_holder)
    audit.record(actor, "card.recover", f"resident:{resident_number}", previous_holder=holder, new_holder=new_holder, transaction_hash=receipt.transaction_hash, block_number=receipt.block_number)
    return receipt


@dataclass(frozen=True)
class CardUpdate:
    receipt: Receipt | None
    card: PreparedCard
    previous_metadata_cid: str


def prepare_card_update(tools: MintTools, resident_number: int) -> tuple[IssuedCard, PreparedCard]:
    """Re-render card `resident_number` with the current template and store it (nothing sent yet)."""
    _require_card(tools.registry, resident_number)
    record = db.session.get(IssuedCard, resident_number)
    if record is None:
        raise CardNotIssuedHere(
            f"This site has no record of card {resident_number} (its name and issue date are not on chain), "
            "so it cannot be re-rendered. Cards minted with `residents mint`/`mint-batch` on this site have one."
        )
    image = render_card(tools.template, CardFace(resident_number, record.display_name, record.issued_on, profile_url(tools.site_url, resident_number)))
    image_cid = tools.store.add(image)
    metadata = metadata_json(ResidentCard(resident_number, record.issued_on, image_cid, profile_url(tools.site_url, resident_number), record.batch))
    metadata_cid = tools.store.add(metadata)
    return record, PreparedCard(resident_number, image, image_cid, metadata, metadata_cid)


def update_card(tools: MintTools, record: IssuedCard, prepared: PreparedCard, actor: str) -> CardUpdate:
    """Point the card's metadata on chain at the re-rendered card, update the record, audit."""
    previous = record.metadata_cid
    on_chain = tools.registry.metadata_digest(record.resident_number)
    receipt = None
    if on_chain != digest_from_raw_cid(prepared.metadata_cid):
        receipt = tools.minter.update_metadata(tools.registry.address, record.resident_number, digest_from_raw_cid(prepared.metadata_cid))
    record.image_cid = prepared.image_cid
    record.thumbnail_cid = store_thumbnail(tools.store, prepared.image)
    record.metadata_cid = prepared.metadata_cid
    db.session.flush()
    audit.record(
        actor,
        "card.update",
        f"resident:{record.resident_number}",
        previous_metadata_cid=previous,
        metadata_cid=prepared.metadata_cid,
        image_cid=prepared.image_cid,
        transaction_hash=receipt.transaction_hash if receipt else None,
    )
    return CardUpdate(receipt, prepared, previous)


# ---- ipfs add ------------------------------------------------------------------------------


def add_file(store: IpfsBackend | None, path: Path) -> str:
    """Store a file on IPFS and return its CID; with no store, only compute the CID."""
    with path.open("rb") as content:
        return file_cid(content) if store is None else store.add(content)
