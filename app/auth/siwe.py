"""Sign-In with Ethereum (EIP-4361): build the message, parse it strictly, verify a signature.

Our own small implementation rather than the `siwe` package (DESIGN.md §7: it pins old web3 and
eth-account, and an earlier release accepted invalid signatures when no provider was passed).
The parser walks the EIP-4361 ABNF line by line, so a message that parses is byte-for-byte the
message that `to_text()` writes back; that is what makes "the text the wallet signed" and "the
fields we checked" the same thing.

Deliberate differences from the letter of the ABNF, all stricter except the first:

- `statement` may contain non-ASCII letters and punctuation (the town's statement is Japanese);
  control, format and line-separator characters are still refused, ASCII is held to the ABNF.
- `domain` must be a DNS host name or an IP address (RFC 3986 would also allow `reg-name`
  characters such as `_`, `!` or an empty host, which no browser origin has).
- `Chain ID` has no leading zeros and a present `statement` is not empty, so that every message
  has exactly one spelling.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import string
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import ClassVar

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys.exceptions import BadSignature
from eth_utils import is_checksum_address, is_hex_address, keccak, to_checksum_address

# -- errors -----------------------------------------------------------------------------------


class SiweError(Exception):
    """A sign-in message or signature was refused; `code` is stable for the JSON API."""

    code: ClassVar[str] = "siwe_error"
    default_message: ClassVar[str] = "Sign-in failed. Please start signing in again."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self)


class MalformedMessage(SiweError):
    code = "malformed_message"

    def __init__(self, field: str, problem: str) -> None:
        #: Which part of the message was wrong (a `SiweMessage` field name, "header" or "message").
        self.field = field
        #: What was wrong with it, in plain English.
        self.problem = problem
        super().__init__(
            f"The sign-in message is not valid ({field}: {problem}). Please start signing in again."
        )


class DomainMismatch(SiweError):
    code = "domain_mismatch"
    default_message = "This sign-in message was made for another website. Please sign in from this site."


class UriMismatch(SiweError):
    code = "uri_mismatch"
    default_message = "This sign-in message was made for another page. Please start signing in again here."


class ChainMismatch(SiweError):
    code = "chain_mismatch"
    default_message = "Your wallet is on a different network. Switch to this site's network and sign in again."


class NonceMismatch(SiweError):
    code = "nonce_mismatch"
    default_message = "This sign-in request was already used or replaced. Please start signing in again."


class Expired(SiweError):
    code = "expired"
    default_message = "This sign-in request has expired. Please start signing in again."


class NotYetValid(SiweError):
    code = "not_yet_valid"
    default_message = "This sign-in request is not valid yet. Check your device's clock and try again."


class IssuedInFuture(NotYetValid):
    code = "issued_in_future"
    default_message = "This sign-in message is dated in the future. Check your device's clock and try again."


class InvalidSignature(SiweError):
    code = "invalid_signature"
    default_message = "The signature does not match the wallet address. Please sign again with the same wallet."


class MalformedSignature(InvalidSignature):
    code = "malformed_signature"
    default_message = "The signature could not be read. Please sign again."


class NonCanonicalSignature(InvalidSignature):
    """A high-s signature: valid maths, but not what any wallet writes (EIP-2); someone altered it."""

    code = "noncanonical_signature"
    default_message = "The signature is not in the standard form wallets produce. Please sign again with your wallet."


# -- grammar pieces (RFC 3986 / RFC 3339 as used by the EIP-4361 ABNF) ------------------------

_PREAMBLE = " wants you to sign in with your Ethereum account:"
#: The tagged lines in the order EIP-4361 fixes, for naming a line that stands out of place.
_TAGGED_FIELDS = (
    ("URI: ", "uri"),
    ("Version: ", "version"),
    ("Chain ID: ", "chain_id"),
    ("Nonce: ", "nonce"),
    ("Issued At: ", "issued_at"),
    ("Expiration Time: ", "expiration_time"),
    ("Not Before: ", "not_before"),
    ("Request ID: ", "request_id"),
    ("Resources:", "resources"),
)
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"

_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
_USERINFO_RE = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*")
_REG_NAME_RE = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*")
_DNS_NAME_RE = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")
_IPV4_RE = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)")
_PORT_RE = re.compile(r"\d*")
# After "scheme:" a URI holds only these characters; where "[", "]" and "#" may stand is
# checked separately.
_URI_TAIL_RE = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@/?#\[\]]|{_PCT})*")
_PCHAR_RE = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})*")
_STATEMENT_ASCII = set(string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;= ")
_NONCE_RE = re.compile(r"[A-Za-z0-9]{8,}")
_CHAIN_ID_RE = re.compile(r"0|[1-9]\d*")
_DATE_TIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})"
)


def _is_host(host: str, *, dns_only: bool) -> bool:
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return True
    if _IPV4_RE.fullmatch(host):
        return True
    if dns_only:
        return bool(_DNS_NAME_RE.fullmatch(host))
    return bool(_REG_NAME_RE.fullmatch(host))


def _is_authority(authority: str, *, dns_only: bool) -> bool:
    userinfo, at, hostport = authority.rpartition("@")
    if at and not _USERINFO_RE.fullmatch(userinfo):
        return False
    if hostport.startswith("["):
        host, bracket, port_part = hostport.partition("]")
        host += bracket
        if port_part and not port_part.startswith(":"):
            return False
        port = port_part[1:]
    else:
        host, _, port = hostport.partition(":")
    return _is_host(host, dns_only=dns_only) and bool(_PORT_RE.fullmatch(port))


def _is_uri(value: str) -> bool:
    scheme, colon, tail = value.partition(":")
    if not colon or not _SCHEME_RE.fullmatch(scheme) or not _URI_TAIL_RE.fullmatch(tail):
        return False
    before_fragment, _, fragment = tail.partition("#")
    if "#" in fragment:
        return False
    path_and_query = before_fragment
    if before_fragment.startswith("//"):
        end = len(before_fragment)
        for stop in "/?":
            found = before_fragment.find(stop, 2)
            if found != -1:
                end = min(end, found)
        if not _is_authority(before_fragment[2:end], dns_only=False):
            return False
        path_and_query = before_fragment[end:]
    # Square brackets are only for IPv6 literals in the authority.
    return not any(bracket in path_and_query + fragment for bracket in "[]")


def _statement_problem(statement: str) -> str | None:
    if statement == "":
        return "is empty; leave it out instead"
    for char in statement:
        if char.isascii():
            if char not in _STATEMENT_ASCII:
                return f"contains the character {char!r}, which EIP-4361 does not allow"
        elif unicodedata.category(char)[0] == "C" or unicodedata.category(char) in ("Zl", "Zp"):
            return f"contains the control or invisible character U+{ord(char):04X}"
    return None


def _required_text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise MalformedMessage(field, "is missing or not text")
    return value


def _optional_text(field: str, value: object) -> str | None:
    return None if value is None else _required_text(field, value)


def parse_timestamp(value: str) -> datetime:
    """Read an RFC 3339 date-time into an aware datetime (fractions beyond microseconds dropped)."""
    match = _DATE_TIME_RE.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not an RFC 3339 date-time such as 2024-04-01T09:00:00Z")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if offset in ("Z", "z"):
        zone = UTC
    else:
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError(f"{value!r} has an impossible UTC offset")
        sign = 1 if offset[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    # datetime() refuses 2022-02-31 and friends (and the leap second :60, which Python lacks).
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), microsecond, tzinfo=zone
        )
    except ValueError:
        raise ValueError(f"{value!r} is not a real calendar date and time") from None


def format_timestamp(moment: datetime) -> str:
    """Write an aware datetime the way browsers' `toISOString()` does: UTC, milliseconds, `Z`."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; use an aware UTC datetime")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- the message --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiweMessage:
    """One EIP-4361 message. Construction validates every field, however the message was made."""

    domain: str
    address: str
    uri: str
    version: str
    chain_id: int
    nonce: str
    #: Timestamps keep the exact text that was signed; `*_datetime` properties read them.
    issued_at: str
    statement: str | None = None
    expiration_time: str | None = None
    not_before: str | None = None
    request_id: str | None = None
    #: None means no "Resources:" line; an empty tuple means the line with no entries.
    resources: tuple[str, ...] | None = None
    scheme: str | None = None

    def __post_init__(self) -> None:
        if self.resources is not None and not isinstance(self.resources, tuple):
            object.__setattr__(self, "resources", tuple(self.resources))
        self._validate()

    def _validate(self) -> None:
        scheme = _optional_text("scheme", self.scheme)
        if scheme is not None and not _SCHEME_RE.fullmatch(scheme):
            raise MalformedMessage("scheme", f"{scheme!r} is not a URI scheme such as https")
        domain = _required_text("domain", self.domain)
        if not _is_authority(domain, dns_only=True):
            raise MalformedMessage("domain", f"{domain!r} is not a host name or IP address with optional port")
        address = _required_text("address", self.address)
        if not is_checksum_address(address):
            if is_hex_address(address):
                raise MalformedMessage("address", "is not in EIP-55 checksummed form")
            raise MalformedMessage("address", "is not an Ethereum address (0x and 40 hex digits)")
        statement = _optional_text("statement", self.statement)
        if statement is not None and (problem := _statement_problem(statement)) is not None:
            raise MalformedMessage("statement", problem)
        uri = _required_text("uri", self.uri)
        if not _is_uri(uri):
            raise MalformedMessage("uri", f"{uri!r} is not an RFC 3986 URI")
        if self.version != "1":
            raise MalformedMessage("version", "must be 1")
        # bool is an int subclass; True is not a chain id.
        if not isinstance(self.chain_id, int) or isinstance(self.chain_id, bool) or self.chain_id < 0:
            raise MalformedMessage("chain_id", "must be a whole number")
        if not _NONCE_RE.fullmatch(_required_text("nonce", self.nonce)):
            raise MalformedMessage("nonce", "must be at least 8 letters or digits")
        for field, value in (
            ("issued_at", _required_text("issued_at", self.issued_at)),
            ("expiration_time", _optional_text("expiration_time", self.expiration_time)),
            ("not_before", _optional_text("not_before", self.not_before)),
        ):
            if value is not None:
                try:
                    parse_timestamp(value)
                except ValueError as error:
                    raise MalformedMessage(field, str(error)) from None
        request_id = _optional_text("request_id", self.request_id)
        if request_id is not None and not _PCHAR_RE.fullmatch(request_id):
            raise MalformedMessage("request_id", "contains characters not allowed in a URI path segment")
        for position, resource in enumerate(self.resources or (), start=1):
            if not isinstance(resource, str) or not _is_uri(resource):
                raise MalformedMessage("resources", f"entry {position} is not an RFC 3986 URI")

    # Typed views of the timestamps (validated in __post_init__, so these cannot fail).
    @property
    def issued_at_datetime(self) -> datetime:
        return parse_timestamp(self.issued_at)

    @property
    def expiration_datetime(self) -> datetime | None:
        return None if self.expiration_time is None else parse_timestamp(self.expiration_time)

    @property
    def not_before_datetime(self) -> datetime | None:
        return None if self.not_before is None else parse_timestamp(self.not_before)

    @classmethod
    def parse(cls, text: str) -> SiweMessage:
        """Read an EIP-4361 message; anything the ABNF does not produce is a MalformedMessage."""
        if "\r" in text:
            raise MalformedMessage("message", "lines must end with LF only, not CR LF")
        lines = text.split("\n")
        if len(lines) < 3 or not lines[0].endswith(_PREAMBLE):
            raise MalformedMessage("header", f"the first line must end with {_PREAMBLE.strip()!r}")
        origin = lines[0][: -len(_PREAMBLE)]
        scheme: str | None = None
        if "://" in origin:
            scheme, origin = origin.split("://", 1)
        address = lines[1]
        if lines[2] != "":
            raise MalformedMessage("address", "must be followed by an empty line")

        # ABNF: address LF LF [ statement LF ] LF "URI: " ...
        statement: str | None = None
        cursor = 3
        if cursor < len(lines) and lines[cursor] != "":
            statement = lines[cursor]
            cursor += 1
            if cursor >= len(lines) or lines[cursor] != "":
                raise MalformedMessage("statement", "must be one line followed by an empty line")
        cursor += 1

        def take_optional(tag: str) -> str | None:
            nonlocal cursor
            if cursor < len(lines) and lines[cursor].startswith(tag):
                cursor += 1
                return lines[cursor - 1][len(tag) :]
            return None

        def take(field: str, tag: str) -> str:
            value = take_optional(tag)
            if value is None:
                raise MalformedMessage(field, f"missing or out of order; expected a line starting with {tag!r}")
            return value

        uri = take("uri", "URI: ")
        version = take("version", "Version: ")
        chain_id_text = take("chain_id", "Chain ID: ")
        nonce = take("nonce", "Nonce: ")
        issued_at = take("issued_at", "Issued At: ")
        expiration_time = take_optional("Expiration Time: ")
        not_before = take_optional("Not Before: ")
        request_id = take_optional("Request ID: ")
        resources: tuple[str, ...] | None = None
        if cursor < len(lines) and lines[cursor] == "Resources:":
            cursor += 1
            entries = []
            while cursor < len(lines) and lines[cursor].startswith("- "):
                entries.append(lines[cursor][2:])
                cursor += 1
            resources = tuple(entries)
        if cursor != len(lines):
            stray = lines[cursor]
            for tag, field in _TAGGED_FIELDS:
                if stray.startswith(tag):
                    raise MalformedMessage(field, "is out of order or repeated")
            raise MalformedMessage("message", f"unexpected line {stray!r}")

        if not _CHAIN_ID_RE.fullmatch(chain_id_text):
            raise MalformedMessage("chain_id", "must be a whole number without leading zeros")
        return cls(
            domain=origin,
            address=address,
            uri=uri,
            version=version,
            chain_id=int(chain_id_text),
            nonce=nonce,
            issued_at=issued_at,
            statement=statement,
            expiration_time=expiration_time,
            not_before=not_before,
            request_id=request_id,
            resources=resources,
            scheme=scheme,
        )

    def to_text(self) -> str:
        """Write the exact EIP-4361 text that the wallet signs."""
        origin = f"{self.scheme}://{self.domain}" if self.scheme else self.domain
        lines = [origin + _PREAMBLE, self.address, ""]
        lines += [self.statement, ""] if self.statement is not None else [""]
        lines += [
            f"URI: {self.uri}",
            f"Version: {self.version}",
            f"Chain ID: {self.chain_id}",
            f"Nonce: {self.nonce}",
            f"Issued At: {self.issued_at}",
        ]
        if self.expiration_time is not None:
            lines.append(f"Expiration Time: {self.expiration_time}")
        if self.not_before is not None:
            lines.append(f"Not Before: {self.not_before}")
        if self.request_id is not None:
            lines.append(f"Request ID: {self.request_id}")
        if self.resources is not None:
            lines.append("Resources:")
            lines += [f"- {resource}" for resource in self.resources]
        return "\n".join(lines)


# -- issuing ------------------------------------------------------------------------------------

NONCE_LENGTH = 24  # about 143 bits from 62 symbols; EIP-4361 asks for at least 8
_NONCE_ALPHABET = string.ascii_letters + string.digits


def new_nonce(length: int = NONCE_LENGTH) -> str:
    """Make a single-use sign-in nonce from the OS's secure random source."""
    if length < 16:
        raise ValueError("a sign-in nonce needs at least 16 characters")
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def build_message(
    domain: str,
    address: str,
    uri: str,
    chain_id: int,
    nonce: str,
    statement: str | None,
    issued_at: datetime,
    expiration_time: datetime | None,
    *,
    not_before: datetime | None = None,
    request_id: str | None = None,
    resources: Sequence[str] | None = None,
    scheme: str | None = None,
) -> SiweMessage:
    """Make the message the server hands to the wallet; the address may come in any letter case."""
    # Wallets often report addresses in lower case; the message must carry the EIP-55 form.
    if not isinstance(address, str) or not is_hex_address(address):
        raise MalformedMessage("address", "is not an Ethereum address (0x and 40 hex digits)")
    return SiweMessage(
        domain=domain,
        address=to_checksum_address(address),
        uri=uri,
        version="1",
        chain_id=chain_id,
        nonce=nonce,
        issued_at=format_timestamp(issued_at),
        statement=statement,
        expiration_time=None if expiration_time is None else format_timestamp(expiration_time),
        not_before=None if not_before is None else format_timestamp(not_before),
        request_id=request_id,
        resources=None if resources is None else tuple(resources),
        scheme=scheme,
    )


# -- verifying ------------------------------------------------------------------------------------

#: The longest message accepted; the site's own messages are about 400 characters, and EIP-4361
#: statements and resources a wallet shows must stay readable.
MAX_MESSAGE_LENGTH = 4096
#: The longest signature accepted: 65 bytes for a wallet key; smart-contract wallets send more
#: (several owners, a WebAuthn assertion), but never kilobytes upon kilobytes.
MAX_SIGNATURE_BYTES = 4096
#: Order of the secp256k1 group; EIP-2 allows only s <= N/2.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def is_high_s(signature: bytes) -> bool:
    """True for a 65-byte r‖s‖v signature whose s is in the upper half (EIP-2 malleability)."""
    return len(signature) == 65 and int.from_bytes(signature[32:64], "big") > SECP256K1_N // 2


def check_lengths(message_text: str, signature: str | bytes) -> None:
    """Refuse a message or signature too long to be genuine, before parsing or asking the chain."""
    if isinstance(message_text, str) and len(message_text) > MAX_MESSAGE_LENGTH:
        raise MalformedMessage("message", f"is longer than {MAX_MESSAGE_LENGTH} characters")
    if isinstance(signature, bytes | str):
        size = len(signature) if isinstance(signature, bytes) else (len(signature) - 2) // 2
        if size > MAX_SIGNATURE_BYTES:
            raise MalformedSignature()

#: How far a wallet's clock may run ahead of ours before an `Issued At` counts as "in the future".
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)

#: `erc1271_check(address, eip191_hash, signature) -> bool`: asks the contract wallet at
#: `address` whether `isValidSignature(hash, signature)` returns the magic value 0x1626ba7e.
Erc1271Check = Callable[[str, bytes, bytes], bool]


def personal_message_hash(text: str) -> bytes:
    """The EIP-191 (version 0x45, `personal_sign`) hash of a message, as ERC-1271 wallets get it."""
    data = text.encode("utf-8")
    return keccak(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode("ascii") + data)


def _signature_bytes(signature: str | bytes) -> bytes:
    if isinstance(signature, bytes):
        raw = signature
    elif isinstance(signature, str) and signature[:2] in ("0x", "0X"):
        try:
            raw = bytes.fromhex(signature[2:])
        except ValueError:
            raise MalformedSignature() from None
    else:
        raise MalformedSignature()
    if not raw:
        raise MalformedSignature()
    return raw


def _recover_signer(text: str, signature: bytes) -> str | None:
    # Only plain 65-byte r‖s‖v with v in {0, 1, 27, 28}: eth-account would also read an
    # EIP-155 chain-encoded v, which `personal_sign` never produces.
    if len(signature) != 65 or signature[64] not in (0, 1, 27, 28) or is_high_s(signature):
        return None
    try:
        return Account.recover_message(encode_defunct(text=text), signature=signature)
    except (BadSignature, ValueError):
        return None


def verify(
    message_text: str,
    signature: str | bytes,
    *,
    expected_domain: str,
    expected_uri: str,
    expected_chain_id: int,
    expected_nonce: str,
    now: datetime,
    expected_scheme: str | None = None,
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
    erc1271_check: Erc1271Check | None = None,
) -> SiweMessage:
    """Check a signed sign-in message against what this server issued; return it or raise SiweError.

    The cheap checks come first so that a stale or foreign message never costs a chain call.
    Exceptions raised by `erc1271_check` itself (the node is down) pass through unchanged: that
    is not a bad signature, and the caller reports it as such.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    check_lengths(message_text, signature)
    message = SiweMessage.parse(message_text)

    if message.domain != expected_domain:
        raise DomainMismatch()
    # EIP-4361: a message without a scheme is taken to mean https.
    if expected_scheme is not None and (message.scheme or "https") != expected_scheme:
        raise DomainMismatch()
    if message.uri != expected_uri:
        raise UriMismatch()
    if message.chain_id != expected_chain_id:
        raise ChainMismatch()
    if message.nonce != expected_nonce:
        raise NonceMismatch()

    expires = message.expiration_datetime
    if expires is not None and now >= expires:
        raise Expired()
    not_before = message.not_before_datetime
    if not_before is not None and now < not_before:
        raise NotYetValid()
    if message.issued_at_datetime > now + clock_skew:
        raise IssuedInFuture()

    raw = _signature_bytes(signature)
    if _recover_signer(message_text, raw) == message.address:
        return message
    if erc1271_check is not None and erc1271_check(
        message.address, personal_message_hash(message_text), raw
    ):
        return message
    # A high-s signature could only be an EOA's signature with s flipped: say so plainly.
    raise NonCanonicalSignature() if is_high_s(raw) else InvalidSignature()
