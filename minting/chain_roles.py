"""Roles on the card contract: the services behind `residents chain-roles` and the key report of
`residents check`. Every change is signed by the admin key and written to the audit log, like
`residents roles` does for the site's staff roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.audit import service as audit
from app.chain.client import AdminState, ResidentRegistry, Role
from app.chain.errors import ChainError
from app.config import Config
from minting.errors import InvalidMintRequest, MintError
from minting.keys import ConfiguredKey, KeyRole, configured_key
from minting.minter import CardAdmin, Receipt

#: The names `residents chain-roles` takes, and the contract role each stands for.
CLI_ROLE_NAMES: dict[str, Role] = {"admin": Role.ADMIN, "minter": Role.MINTER, "organizer": Role.ORGANIZER}


@dataclass(frozen=True)
class RoleListing:
    admin: AdminState
    minters: list[str]
    organizers: list[str]


def list_roles(registry: ResidentRegistry) -> RoleListing:
    """Who holds each role now (the admin, and every minter and organizer from the role logs)."""
    return RoleListing(registry.admin_state(), registry.role_members(Role.MINTER), registry.role_members(Role.ORGANIZER))


@dataclass(frozen=True)
class RoleChange:
    role: Role
    account: str
    #: None when nothing was sent (the account already held, or did not hold, the role).
    receipt: Receipt | None
    #: For the admin role: when the new admin may accept (a transfer takes two steps).
    accept_after: datetime | None = None


def grant_chain_role(admin: CardAdmin, registry: ResidentRegistry, role_name: str, account: str, actor: str) -> RoleChange:
    """Grant `role_name` to `account`; for the admin role, start the delayed two-step transfer."""
    role = _role(role_name)
    if role is Role.ADMIN:
        receipt = admin.begin_admin_transfer(registry.address, account)
        state = registry.admin_state()
        audit.record(actor, "chain_role.admin_transfer_begin", account, role=role.value, transaction_hash=receipt.transaction_hash, accept_after=_iso(state.accept_after))
        return RoleChange(role, account, receipt, state.accept_after)
    if registry.has_role(role, account):
        return RoleChange(role, account, None)
    receipt = admin.grant_role(registry.address, role, account)
    audit.record(actor, "chain_role.grant", account, role=role.value, transaction_hash=receipt.transaction_hash, block_number=receipt.block_number)
    return RoleChange(role, account, receipt)


def revoke_chain_role(admin: CardAdmin, registry: ResidentRegistry, role_name: str, account: str, actor: str) -> RoleChange:
    """Take `role_name` (minter or organizer) away from `account`."""
    role = _role(role_name)
    if role is Role.ADMIN:
        raise InvalidMintRequest(
            "The admin role cannot be revoked: the contract always keeps one admin. Move it to another key with "
            "`residents chain-roles grant admin NEW_ADDRESS` and accept it with that key (`residents chain-roles accept-admin`)."
        )
    if not registry.has_role(role, account):
        return RoleChange(role, account, None)
    receipt = admin.revoke_role(registry.address, role, account)
    audit.record(actor, "chain_role.revoke", account, role=role.value, transaction_hash=receipt.transaction_hash, block_number=receipt.block_number)
    return RoleChange(role, account, receipt)


def accept_admin_role(new_admin: CardAdmin, registry: ResidentRegistry, actor: str) -> Receipt:
    """Accept the admin role offered to the configured admin key, once the delay has passed."""
    previous = registry.admin_state().admin
    receipt = new_admin.accept_admin_transfer(registry.address)
    audit.record(actor, "chain_role.admin_transfer_accept", new_admin.address, role=Role.ADMIN.value, previous_admin=previous, transaction_hash=receipt.transaction_hash)
    return receipt


def cancel_admin_transfer(admin: CardAdmin, registry: ResidentRegistry, actor: str) -> Receipt:
    """Withdraw a pending offer of the admin role."""
    pending = registry.admin_state().pending_admin
    receipt = admin.cancel_admin_transfer(registry.address)
    audit.record(actor, "chain_role.admin_transfer_cancel", pending or "-", role=Role.ADMIN.value, transaction_hash=receipt.transaction_hash)
    return receipt


# ---- the key report of `residents check` ---------------------------------------------------


@dataclass(frozen=True)
class KeyCheck:
    """What one configured key holds on the contract, and what is wrong with that."""

    role: KeyRole
    key: ConfiguredKey | None
    #: Why the key could not be read, or that it is not configured on this machine.
    problem: str | None = None
    holds: tuple[Role, ...] = ()

    @property
    def missing_own_role(self) -> bool:
        return self.key is not None and self.role.chain_role not in self.holds

    @property
    def extra_roles(self) -> tuple[Role, ...]:
        """Roles beyond its own: more than this key should be able to do."""
        return tuple(role for role in self.holds if role is not self.role.chain_role)


@dataclass(frozen=True)
class KeyReport:
    keys: list[KeyCheck]
    listing: RoleListing

    @property
    def ok(self) -> bool:
        """False when a configured key lacks its role or a role has nobody holding it."""
        return not any(check.missing_own_role for check in self.keys) and not self.unheld_roles

    @property
    def unheld_roles(self) -> list[Role]:
        unheld = [] if self.listing.admin.admin else [Role.ADMIN]
        unheld += [role for role, holders in ((Role.MINTER, self.listing.minters), (Role.ORGANIZER, self.listing.organizers)) if not holders]
        return unheld

    def lines(self) -> list[tuple[str, str]]:
        """(status, text) per line: status is ok, missing, warning or info."""
        lines: list[tuple[str, str]] = []
        for check in self.keys:
            name = f"{check.role.value} key"
            if check.key is None:
                lines.append(("info", f"{name}: {check.problem}"))
                continue
            where = f"{name} {check.key.address} ({check.key.origin})"
            own = check.role.chain_role
            if check.missing_own_role:
                lines.append(("missing", f"{where} lacks {own}: grant it with `residents chain-roles grant {_cli_name(own)} {check.key.address}`"))
            else:
                lines.append(("ok", f"{where} holds {own}"))
            for extra in check.extra_roles:
                lines.append(("warning", f"{where} also holds {extra}, beyond its own role: {_leak(check.role)} Revoke it with `residents chain-roles revoke {_cli_name(extra)} {check.key.address}`"))
        for role in self.unheld_roles:
            lines.append(("missing", f"nobody holds {role} on the contract: grant it to the {_key_for(role).value} key with `residents chain-roles grant {_cli_name(role)} ADDRESS`"))
        pending = self.listing.admin
        if pending.pending_admin:
            lines.append(("info", f"the admin role is offered to {pending.pending_admin}, who may accept it after {_iso(pending.accept_after)}"))
        return lines


def check_keys(config: Config, registry: ResidentRegistry) -> KeyReport:
    """Which role each configured key holds on the contract, and which roles nobody holds."""
    checks: list[KeyCheck] = []
    listing = list_roles(registry)
    for role in KeyRole:
        try:
            key = configured_key(role, config)
        except MintError as exc:
            checks.append(KeyCheck(role, None, f"not configured on this machine ({exc})"))
            continue
        try:
            holds = tuple(chain_role for chain_role in Role if registry.has_role(chain_role, key.address))
        except ChainError as exc:
            checks.append(KeyCheck(role, None, str(exc)))
            continue
        checks.append(KeyCheck(role, key, holds=holds))
    return KeyReport(checks, listing)


def _role(name: str) -> Role:
    try:
        return CLI_ROLE_NAMES[name]
    except KeyError:
        raise InvalidMintRequest(f"There is no contract role named {name!r}. Use one of: {', '.join(CLI_ROLE_NAMES)}.") from None


def _cli_name(role: Role) -> str:
    return next(name for name, value in CLI_ROLE_NAMES.items() if value is role)


def _key_for(role: Role) -> KeyRole:
    return next(key for key in KeyRole if key.chain_role is role)


def _leak(role: KeyRole) -> str:
    if role is KeyRole.ANCHOR:
        return "the web process loads this key, so a leak of the web server would give that power too."
    return "a leak of this key would give that power too."


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")
