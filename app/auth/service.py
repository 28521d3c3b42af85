"""Accounts: signing in with a wallet (EIP-4361), the resident's own settings, and staff roles."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from eth_utils import is_checksum_address, is_hex_address, to_checksum_address
from sqlalchemy.exc import IntegrityError

from app.audit.service import record
from app.auth import siwe
from app.auth.models import STAFF_ROLES, Account, SignInNonce, StaffRole
from app.auth.sessions import end_sessions_of
from app.cards.service import card_image_url
from app.chain.errors import ChainError
from app.chain.models import Holding
from app.config import LOCAL_CHAIN_ID, Config
from app.extensions import db
from app.security import redacted_url
from app.timeutil import utcnow

#: How long a sign-in message may wait for its signature (the nonce and Expiration Time).
SIGN_IN_MESSAGE_LIFETIME = timedelta(minutes=5)


# -- errors ------------------------------------------------------------------------------------


class InvalidAddress(siwe.SiweError):
    code = "invalid_address"
    default_message = "That is not a wallet address (0x followed by 40 hexadecimal digits)."


class ContractWalletUnavailable(Exception):
    """The chain could not be asked about a smart-contract wallet; not the signer's fault."""

    code: ClassVar[str] = "chain_unavailable"


class SessionMismatch(siwe.SiweError):
    code = "session_mismatch"
    default_message = "This sign-in request was started in another browser session. Please start signing in again here."


class MessageMismatch(siwe.SiweError):
    code = "message_mismatch"
    default_message = "The signed text is not the message this site issued. Please start signing in again."


class RoleError(Exception):
    """A staff role change was refused; the message says what to do instead."""


# -- addresses -----------------------------------------------------------------------------------


def checksummed(address: str) -> str:
    """Return `address` in EIP-55 form; all-lower or all-upper hex is accepted, a wrong checksum is not."""
    text = address.strip() if isinstance(address, str) else ""
    if not is_hex_address(text):
        raise InvalidAddress()
    digits = text[2:]
    # Mixed case claims to be EIP-55; if the claim is wrong, the address was probably mistyped.
    if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(text):
        raise InvalidAddress("The address has a wrong EIP-55 checksum; check it for typing mistakes.")
    return to_checksum_address(text)


# -- signing in ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInSite:
    """Which site and chain sign-in messages are for, from SITE_URL and CHAIN_ID."""

    domain: str
    uri: str
    scheme: str
    chain_id: int

    @classmethod
    def from_config(cls, config: Config) -> SignInSite:
        parts = urlsplit(config.SITE_URL)
        return cls(domain=parts.netloc, uri=config.SITE_URL, scheme=parts.scheme, chain_id=config.CHAIN_ID)

    @property
    def message_scheme(self) -> str | None:
        # EIP-4361 reads a message without a scheme as https; spell out anything else.
        return None if self.scheme == "https" else self.scheme


@dataclass(frozen=True)
class SignedMessage:
    """What the browser posts back: the exact message text and the wallet's signature of it."""

    text: str
    signature: str


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def issue_sign_in_message(site: SignInSite, address: str, statement: str, *, now: datetime | None = None) -> siwe.SiweMessage:
    """Make a sign-in message for `address` with a fresh single-use nonce; remember the nonce and
    the exact text, so that only this text, signed, can use the nonce."""
    now = now or utcnow()
    wallet = checksummed(address)
    db.session.execute(sa.delete(SignInNonce).where(SignInNonce.expires_at <= now))
    nonce = siwe.new_nonce()
    expires = now + SIGN_IN_MESSAGE_LIFETIME
    message = siwe.build_message(
        site.domain, wallet, site.uri, site.chain_id, nonce, statement, now, expires, scheme=site.message_scheme
    )
    db.session.add(SignInNonce(nonce=nonce, address=wallet, issued_at=now, expires_at=expires, message_sha256=_text_digest(message.to_text())))
    db.session.flush()
    return message


def sign_in_with_wallet(
    site: SignInSite,
    signed: SignedMessage,
    *,
    issued_nonce: str | None,
    contract_wallets: siwe.Erc1271Check | None,
    now: datetime | None = None,
) -> Account:
    """Check a signed sign-in message, use up its nonce, and return the wallet's account (made on first sign-in).

    `issued_nonce` is the nonce this browser session was given (kept in its signed cookie): a
    message issued to another session is refused, and so is any text other than the one issued.
    """
    now = now or utcnow()
    siwe.check_lengths(signed.text, signed.signature)
    message = siwe.SiweMessage.parse(signed.text)
    # The cheap refusals first: a replayed or foreign nonce never costs a signature check or a chain call.
    pending = db.session.get(SignInNonce, message.nonce)
    if pending is None or pending.address != message.address:
        raise siwe.NonceMismatch()
    if issued_nonce is None or not hmac.compare_digest(issued_nonce, pending.nonce):
        raise SessionMismatch()
    if not hmac.compare_digest(_text_digest(signed.text), pending.message_sha256):
        raise MessageMismatch()
    if now >= pending.expires_at:
        raise siwe.Expired()
    siwe.verify(
        signed.text,
        signed.signature,
        expected_domain=site.domain,
        expected_uri=site.uri,
        expected_chain_id=site.chain_id,
        expected_nonce=pending.nonce,
        expected_scheme=site.scheme,
        now=now,
        erc1271_check=contract_wallets,
    )
    # Deleting the row is what makes the nonce single-use: of two requests racing with the same
    # signed message, only one deletes it.
    used = db.session.execute(
        sa.delete(SignInNonce).where(SignInNonce.nonce == pending.nonce, SignInNonce.expires_at > now),
        execution_options={"synchronize_session": False},
    )
    if used.rowcount != 1:
        raise siwe.NonceMismatch()
    db.session.expunge(pending)
    return _account_for(message.address)


def _account_for(address: str) -> Account:
    account = db.session.scalar(sa.select(Account).where(Account.address == address))
    if account is not None:
        return account
    try:
        with db.session.begin_nested():
            account = Account(address=address)
            db.session.add(account)
    except IntegrityError:
        # The same wallet's first sign-in finished in another request a moment ago.
        return db.session.scalars(sa.select(Account).where(Account.address == address)).one()
    return account


def contract_wallet_check(config: Config) -> siwe.Erc1271Check:
    """Return an ERC-1271 check that asks wallets on the configured chain (connecting only when needed)."""
    from app.chain.service import open_chain
    from app.chain.signatures import is_valid_signature

    def check(address: str, message_hash: bytes, signature: bytes) -> bool:
        try:
            return is_valid_signature(open_chain(config), address, message_hash, signature)
        except ChainError as exc:
            raise ContractWalletUnavailable(str(exc)) from exc

    return check


@dataclass(frozen=True)
class WalletNetwork:
    """The configured chain as a wallet needs it for `wallet_switchEthereumChain` / `wallet_addEthereumChain`."""

    chain_id: int
    name: str
    #: Empty when the site knows no public RPC for the chain: the wallet must know the chain already.
    rpc_urls: tuple[str, ...]
    currency_name: str
    currency_symbol: str
    explorer_urls: tuple[str, ...] = ()

    @property
    def chain_id_hex(self) -> str:
        return hex(self.chain_id)

    def add_chain_parameters(self) -> dict[str, object] | None:
        """EIP-3085 parameters, or None when the wallet cannot be told how to reach the chain."""
        if not self.rpc_urls:
            return None
        parameters: dict[str, object] = {
            "chainId": self.chain_id_hex,
            "chainName": self.name,
            "rpcUrls": list(self.rpc_urls),
            "nativeCurrency": {"name": self.currency_name, "symbol": self.currency_symbol, "decimals": 18},
        }
        if self.explorer_urls:
            parameters["blockExplorerUrls"] = list(self.explorer_urls)
        return parameters


#: Public networks the town may use; their public RPC endpoints, never the site's own CHAIN_RPC_URL
#: (a provider URL often carries an API key).
PUBLIC_NETWORKS = {
    1: WalletNetwork(1, "Ethereum", ("https://ethereum-rpc.publicnode.com",), "Ether", "ETH", ("https://etherscan.io",)),
    137: WalletNetwork(137, "Polygon", ("https://polygon-rpc.com",), "POL", "POL", ("https://polygonscan.com",)),
    80002: WalletNetwork(80002, "Polygon Amoy", ("https://rpc-amoy.polygon.technology",), "POL", "POL", ("https://amoy.polygonscan.com",)),
    11155111: WalletNetwork(11155111, "Sepolia", ("https://ethereum-sepolia-rpc.publicnode.com",), "Sepolia Ether", "ETH", ("https://sepolia.etherscan.io",)),
}


def wallet_network(config: Config) -> WalletNetwork:
    """Describe the configured chain for the browser's wallet."""
    if config.CHAIN_ID == LOCAL_CHAIN_ID:
        # The local development chain: offered to the wallet only when its URL is a bare scheme
        # and host (anvil on this machine); one with a path, a query or a user may hold a key.
        rpc = config.CHAIN_RPC_URL.rstrip("/")
        return WalletNetwork(LOCAL_CHAIN_ID, "Nishikawa local chain (anvil)", (rpc,) if redacted_url(rpc) == rpc else (), "Ether", "ETH")
    known = PUBLIC_NETWORKS.get(config.CHAIN_ID)
    return known or WalletNetwork(config.CHAIN_ID, f"Chain {config.CHAIN_ID}", (), "Ether", "ETH")


# -- my page and public profiles ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileSettings:
    """The settings a person edits on their page."""

    display_name: str | None
    profile_public: bool
    #: "ja", "en", or None to follow the browser.
    locale: str | None


def update_profile(account: Account, settings: ProfileSettings) -> Account:
    """Save the person's display name, public-profile choice and language."""
    account.display_name = (settings.display_name or "").strip() or None
    account.profile_public = settings.profile_public
    account.locale = settings.locale or None
    db.session.flush()
    return account


@dataclass(frozen=True)
class ResidentCard:
    """The card a wallet holds, as the holdings table (kept by the indexer) knows it."""

    resident_number: int
    issued_at: datetime
    #: None until the card's image is known; the page then shows a placeholder card.
    image_url: str | None


@dataclass(frozen=True)
class MyPage:
    """What the signed-in person sees about themselves."""

    account: Account
    card: ResidentCard | None


def my_page(account: Account) -> MyPage:
    """Gather the person's wallet and resident card (from the holdings table; no chain call)."""
    holding = db.session.scalar(sa.select(Holding).where(Holding.holder == account.address))
    if holding is None:
        return MyPage(account, None)
    card = ResidentCard(holding.resident_number, holding.minted_at, card_image_url(holding.resident_number))
    return MyPage(account, card)


@dataclass(frozen=True)
class PublicProfile:
    """What anyone may see about resident number N.

    The display name only when the resident opted in. Never the wallet address: the chain
    already links number and wallet for those who look, but the site does not tie a name to a
    wallet for them.
    """

    resident_number: int
    issued_at: datetime
    display_name: str | None


def public_profile(resident_number: int) -> PublicProfile | None:
    """Return the public profile of a current card, or None when no wallet holds that number."""
    row = db.session.execute(
        sa.select(Holding, Account)
        .outerjoin(Account, Account.address == Holding.holder)
        .where(Holding.resident_number == resident_number)
    ).first()
    if row is None:
        return None
    holding, account = row
    shown_name = account.display_name if account is not None and account.profile_public else None
    return PublicProfile(holding.resident_number, holding.minted_at, shown_name)


# -- staff roles ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleChange:
    """The outcome of a grant or revoke; `changed` is False when the account was already so."""

    address: str
    role: str
    changed: bool


def _staff_address(address: str) -> str:
    try:
        return checksummed(address)
    except InvalidAddress as exc:
        raise RoleError(f"{address!r}: {exc} Give the wallet address as 0x followed by 40 hex digits.") from None


def _known_role(role: str) -> str:
    if role not in STAFF_ROLES:
        raise RoleError(f"There is no staff role named {role!r}. Use one of: {', '.join(STAFF_ROLES)}.")
    return role


def grant_role(actor: str, address: str, role: str) -> RoleChange:
    """Give `address` a staff role (making its account if it has never signed in) and log it."""
    wallet, role = _staff_address(address), _known_role(role)
    account = _account_for(wallet)
    if role in account.roles:
        return RoleChange(wallet, role, changed=False)
    account.staff_roles.append(StaffRole(role=role, granted_by=actor))
    db.session.flush()
    record(actor, "role.grant", wallet, role=role)
    return RoleChange(wallet, role, changed=True)


def revoke_role(actor: str, address: str, role: str) -> RoleChange:
    """Take a staff role away from `address`, end its sessions (it signs in again), and log it."""
    wallet, role = _staff_address(address), _known_role(role)
    account = db.session.scalar(sa.select(Account).where(Account.address == wallet))
    grant = next((held for held in account.staff_roles if held.role == role), None) if account else None
    if account is None or grant is None:
        return RoleChange(wallet, role, changed=False)
    account.staff_roles.remove(grant)
    db.session.flush()
    # Roles are read on every request, so the power is gone at the next one anyway; ending the
    # sessions also drops anything a staff session carried (a kiosk ticket, an open form).
    end_sessions_of(account.id)
    record(actor, "role.revoke", wallet, role=role)
    return RoleChange(wallet, role, changed=True)


def staff_members() -> Sequence[Account]:
    """Return every account that holds a staff role, by address."""
    return db.session.scalars(
        sa.select(Account).where(Account.staff_roles.any()).order_by(Account.address)
    ).all()
