// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC5192} from "./interfaces/IERC5192.sol";

/**
 * @title Nishikawa digital resident card
 * @notice One ERC-721 card per digital resident of Nishikawa-machi. The token id is the resident
 * number: 1, 2, 3, … assigned here, never reused, not even after a revocation.
 *
 * @dev Built on OpenZeppelin's audited {ERC721}: every rule of this card is a check in its
 * {_update}, {_approve} or {_setApprovalForAll} hooks, so there is one transfer path to audit.
 * Decisions the off-chain code relies on:
 *
 * - **Roles, least privilege.** `DEFAULT_ADMIN_ROLE` (the town's cold key, held through
 *   {AccessControlDefaultAdminRules}: one admin, two-step delayed transfer) recovers, revokes,
 *   sets the collection URI, voids anchors and grants roles. `MINTER_ROLE` issues cards and
 *   replaces their metadata. `ORGANIZER_ROLE` (the only key a web process may hold) can do
 *   nothing but anchor records: attendance roots, lottery commitments and vote roots. The
 *   constructor grants each role to its own key.
 * - **One card per wallet.** Minting, transferring or recovering to a wallet that already holds
 *   a card reverts with {WalletAlreadyHoldsCard} (the batch variants carry the index), so
 *   `balanceOf` is 0 or 1. Which card a wallet holds is answered off-chain from the Transfer
 *   logs (`to` is indexed): a reverse mapping would be a fourth storage slot per card.
 * - **Metadata.** Each card's metadata JSON is one raw IPFS block, so its CIDv1 (raw codec
 *   0x55, sha2-256 multihash, base32 lower, `b` prefix) is fixed by the block's sha2-256 digest.
 *   Only the digest is stored; {tokenURI} returns `ipfs://bafkrei…` (66 characters) built here.
 *   A zero digest is refused ({MissingMetadataDigest}) since it almost surely means a caller bug.
 * - **Soulbound or transferable** is fixed at deploy. When soulbound every card is locked
 *   (ERC-5192): `Locked` is emitted at mint, and transfers, approvals and operator approvals
 *   revert with {ResidentCardLocked} / {ResidentCardsSoulbound}; clearing an approval or an
 *   operator always succeeds, so wallets' "revoke all approvals" tools work. Admin recovery
 *   works in both modes.
 * - **Revocation** burns the card. The reason is a `uint8` code carried in
 *   {ResidentCardRevoked} and not interpreted on-chain. Codes used by the town's tools:
 *   0 unspecified, 1 at the holder's request, 2 issued in error, 3 terms of use breached;
 *   other values are free for later use.
 * - **Anchors.** One record per `bytes32` key, written once: {anchorAttendance},
 *   {commitDraw} and {anchorVoteResult}. Keys are derived off-chain from the chain id, this
 *   contract's address, the site and a random id of the record (see `app/chain/anchors.py`),
 *   so they neither collide between sites nor can be guessed and squatted in advance. A wrong
 *   record is voided by the admin ({voidAnchor}); its key then stays unusable and the record
 *   is anchored again under a new key. Reads return zeros for a key never used or voided.
 * - **Receiver checks.** Only `safeTransferFrom` calls `onERC721Received`. Minting and
 *   recovery do not: both are staff actions towards wallets the town has checked, and a
 *   receiver call per card would cost every batch mint.
 */
contract DigitalResident is ERC721, AccessControlDefaultAdminRules, IERC4906, IERC5192 {
    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          CONSTANTS                         */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    bytes32 public constant ORGANIZER_ROLE = keccak256("ORGANIZER_ROLE");

    /// @dev RFC 4648 base32, lower case, as used by multibase prefix `b`.
    bytes32 private constant _BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

    /// @dev `ipfs://` followed by the first base32 characters of every raw sha2-256 CIDv1:
    /// the multibase prefix `b`, then the 30 bits of `0x01 0x55 0x12 0x20` (version, raw codec,
    /// sha2-256, 32-byte length) encode as `afkrei`. The remaining two prefix bits are zero and
    /// lead the digest's first character.
    string private constant _RAW_SHA256_CID_URI_PREFIX = "ipfs://bafkrei";

    bytes4 private constant _ERC4906_INTERFACE_ID = 0x49064906;

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           EVENTS                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice An admin moved card `residentNumber` from `from` (a lost wallet) to `to`.
    event ResidentCardRecovered(uint256 indexed residentNumber, address indexed from, address indexed to);

    /// @notice An admin burned card `residentNumber`, last held by `holder`, for `reason`.
    event ResidentCardRevoked(uint256 indexed residentNumber, address indexed holder, uint8 reason);

    /// @notice The attendance list of the exchange event behind `eventKey` was anchored.
    event AttendanceAnchored(bytes32 indexed eventKey, bytes32 merkleRoot, uint32 attendeeCount);

    /// @notice The entries of an issuance round's lottery were committed before block `drawBlock`.
    event DrawCommitted(bytes32 indexed roundKey, bytes32 commitment, uint64 drawBlock);

    /// @notice The Merkle root of a vote's ballots was anchored.
    event VoteResultAnchored(bytes32 indexed proposalKey, bytes32 ballotsRoot);

    /// @notice An admin voided the record under `key`; it reads as never anchored from now on.
    event AnchorVoided(bytes32 indexed key);

    /// @notice The collection metadata behind {contractURI} changed (ERC-7572).
    event ContractURIUpdated();

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                        CUSTOM ERRORS                       */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @dev Card `residentNumber` is soulbound: it cannot be transferred or approved.
    error ResidentCardLocked(uint256 residentNumber);

    /// @dev The collection is soulbound, so operators cannot be approved.
    error ResidentCardsSoulbound();

    /// @dev `wallet` already holds a card; a wallet holds at most one.
    error WalletAlreadyHoldsCard(address wallet);

    /// @dev A metadata digest of zero was given.
    error MissingMetadataDigest();

    /// @dev {mintBatch} got `recipients` addresses and `digests` digests.
    error MintBatchLengthMismatch(uint256 recipients, uint256 digests);

    /// @dev {mintBatch} got no recipients.
    error MintBatchEmpty();

    /// @dev Entry `index` of a batch is the zero address.
    error MintBatchInvalidRecipient(uint256 index);

    /// @dev Entry `index` of a batch has a zero metadata digest.
    error MintBatchMissingMetadataDigest(uint256 index);

    /// @dev Entry `index` of a batch is `recipient`, who already holds a card.
    error MintBatchRecipientHoldsCard(uint256 index, address recipient);

    /// @dev Entry `index` of a batch repeats `recipient`, first listed at `firstIndex`.
    error MintBatchDuplicateRecipient(uint256 index, address recipient, uint256 firstIndex);

    /// @dev A record is already anchored under `key` (anchors are written once).
    error AnchorKeyUsed(bytes32 key);

    /// @dev The record under `key` was voided; anchor it again under a new key.
    error AnchorKeyVoided(bytes32 key);

    /// @dev Nothing is anchored under `key`, so there is nothing to void.
    error NothingAnchored(bytes32 key);

    /// @dev An attendance anchor needs a non-zero key and root and at least one attendee.
    error InvalidAttendanceAnchor(bytes32 eventKey, bytes32 merkleRoot, uint32 attendeeCount);

    /// @dev A draw commitment needs a non-zero key and commitment and a draw block after this one.
    error InvalidDrawCommitment(bytes32 roundKey, bytes32 commitment, uint64 drawBlock);

    /// @dev A vote result needs a non-zero key and ballots root.
    error InvalidVoteResult(bytes32 proposalKey, bytes32 ballotsRoot);

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           STORAGE                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    // Minting a card writes exactly three new slots, the floor for this design:
    //
    //   ERC721._owners[residentNumber]    the holder
    //   ERC721._balances[wallet]          0 → 1 (the one-card rule reads it before minting)
    //   _metadataDigests[residentNumber]  sha2-256 digest of the metadata JSON block
    //                                     (the whole CID follows from it; see tokenURI)
    //
    // plus `_lastResidentNumber`, written once per mint or once per batch. Approvals are only
    // written when someone approves; an anchor takes two slots (see {Anchor}).

    /// @dev Which function wrote an anchor; `None` marks a key never used.
    enum AnchorKind {
        None,
        Attendance,
        Draw,
        Vote
    }

    /// @dev Slot 0: `value` (attendance root, draw commitment or ballots root). Slot 1: bits
    /// [0, 64) `anchoredAt`, [64, 128) `detail` (attendee count or draw block, 0 for votes),
    /// [128, 136) `kind`, [136, 144) `voided`. Written in one go, so two SSTOREs per anchor.
    struct Anchor {
        bytes32 value;
        uint64 anchoredAt;
        uint64 detail;
        AnchorKind kind;
        bool voided;
    }

    /// @dev Soulbound or transferable, fixed at deploy.
    bool private immutable _soulbound;

    string private _contractURI;

    uint256 private _lastResidentNumber;

    mapping(uint256 residentNumber => bytes32 digest) private _metadataDigests;

    mapping(bytes32 key => Anchor) private _anchors;

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         CONSTRUCTOR                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @param admin receives `DEFAULT_ADMIN_ROLE`; the zero address is refused
    /// ({AccessControlInvalidDefaultAdmin}).
    /// @param adminTransferDelay seconds between starting and accepting a transfer of the admin role.
    /// @param minter receives `MINTER_ROLE`, unless it is the zero address.
    /// @param organizer receives `ORGANIZER_ROLE`, unless it is the zero address.
    /// @param soulbound_ true for locked (ERC-5192) cards, false for transferable ones; final.
    constructor(
        string memory name_,
        string memory symbol_,
        address admin,
        uint48 adminTransferDelay,
        address minter,
        address organizer,
        bool soulbound_,
        string memory contractURI_
    ) ERC721(name_, symbol_) AccessControlDefaultAdminRules(adminTransferDelay, admin) {
        _soulbound = soulbound_;
        _contractURI = contractURI_;
        if (minter != address(0)) _grantRole(MINTER_ROLE, minter);
        if (organizer != address(0)) _grantRole(ORGANIZER_ROLE, organizer);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                      ISSUING RESIDENTS                     */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /**
     * @notice Issues the next resident card to `to`, whose metadata block has sha2-256 `metadataDigest`.
     *
     * Requirements:
     *
     * - the caller has `MINTER_ROLE`;
     * - `to` is not the zero address and holds no card;
     * - `metadataDigest` is not zero.
     *
     * Emits a {Transfer} event, and a {Locked} event when the collection is soulbound.
     */
    function mint(address to, bytes32 metadataDigest)
        external
        onlyRole(MINTER_ROLE)
        returns (uint256 residentNumber)
    {
        if (to == address(0)) revert ERC721InvalidReceiver(address(0));
        if (metadataDigest == 0) revert MissingMetadataDigest();
        if (balanceOf(to) != 0) revert WalletAlreadyHoldsCard(to);

        // Cannot overflow: one more than a counter that only ever grows by one per card.
        unchecked {
            residentNumber = _lastResidentNumber + 1;
        }
        _lastResidentNumber = residentNumber;
        _metadataDigests[residentNumber] = metadataDigest;
        _mint(to, residentNumber);
    }

    /**
     * @notice Issues cards to `recipients[i]` with metadata digests `digests[i]`, numbered in
     * order from {lastResidentNumber} + 1. Any invalid entry reverts the whole batch.
     *
     * Requirements:
     *
     * - the caller has `MINTER_ROLE`;
     * - both arrays are non-empty and of equal length;
     * - every recipient is non-zero, holds no card and appears once;
     * - every digest is non-zero.
     *
     * Emits a {Transfer} event per card, and a {Locked} event per card when soulbound.
     */
    function mintBatch(address[] calldata recipients, bytes32[] calldata digests) external onlyRole(MINTER_ROLE) {
        uint256 count = recipients.length;
        if (count != digests.length) revert MintBatchLengthMismatch(count, digests.length);
        if (count == 0) revert MintBatchEmpty();

        uint256 firstNumber;
        // Cannot overflow: the counter grows by one per card, and each card costs tens of
        // thousands of gas, so neither it nor `firstNumber + i` can approach 2**256.
        unchecked {
            firstNumber = _lastResidentNumber + 1;
            for (uint256 i; i < count; ++i) {
                address to = recipients[i];
                bytes32 digest = digests[i];
                if (to == address(0)) revert MintBatchInvalidRecipient(i);
                if (digest == 0) revert MintBatchMissingMetadataDigest(i);
                if (balanceOf(to) != 0) _revertHeldOrRepeated(recipients, i);
                _metadataDigests[firstNumber + i] = digest;
                _mint(to, firstNumber + i);
            }
            _lastResidentNumber = firstNumber + count - 1;
        }
    }

    /// @notice The highest resident number issued so far (0 before the first card).
    function lastResidentNumber() external view returns (uint256) {
        return _lastResidentNumber;
    }

    /// @dev Entry `index` holds a card: name the earlier entry it repeats, if it is one. Only
    /// reached on the way to a revert, so the quadratic search costs a successful batch nothing.
    function _revertHeldOrRepeated(address[] calldata recipients, uint256 index) private pure {
        address to = recipients[index];
        for (uint256 j; j < index; ++j) {
            if (recipients[j] == to) revert MintBatchDuplicateRecipient(index, to, j);
        }
        revert MintBatchRecipientHoldsCard(index, to);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                   RECOVERY AND REVOCATION                  */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /**
     * @notice Moves card `residentNumber` to `newHolder`, e.g. after its holder lost their key.
     * Works on locked cards too. Clears the card's approval.
     *
     * Requirements:
     *
     * - the caller has `DEFAULT_ADMIN_ROLE`;
     * - the card exists;
     * - `newHolder` is not the zero address and holds no card (the current holder included).
     *
     * Emits {Transfer} and {ResidentCardRecovered}.
     */
    function recover(uint256 residentNumber, address newHolder) external onlyRole(DEFAULT_ADMIN_ROLE) {
        address holder = _requireOwned(residentNumber);
        if (newHolder == address(0)) revert ERC721InvalidReceiver(address(0));
        if (newHolder == holder) revert WalletAlreadyHoldsCard(newHolder);

        _update(newHolder, residentNumber, address(0));
        emit ResidentCardRecovered(residentNumber, holder, newHolder);
    }

    /**
     * @notice Burns card `residentNumber` with a `reason` code (see the contract notes). The
     * resident number is never issued again; the former holder may receive a new card.
     *
     * Requirements:
     *
     * - the caller has `DEFAULT_ADMIN_ROLE`;
     * - the card exists.
     *
     * Emits {Transfer} (to the zero address) and {ResidentCardRevoked}.
     */
    function revoke(uint256 residentNumber, uint8 reason) external onlyRole(DEFAULT_ADMIN_ROLE) {
        address holder = _update(address(0), residentNumber, address(0));
        if (holder == address(0)) revert ERC721NonexistentToken(residentNumber);
        // The digest stays: every read of it checks the holder first, and the number is never
        // issued again.
        emit ResidentCardRevoked(residentNumber, holder, reason);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          METADATA                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /**
     * @notice Replaces the metadata of card `residentNumber` (e.g. a new card design).
     *
     * Requirements:
     *
     * - the caller has `MINTER_ROLE`;
     * - the card exists;
     * - `newDigest` is not zero.
     *
     * Emits {MetadataUpdate} (ERC-4906).
     */
    function updateMetadata(uint256 residentNumber, bytes32 newDigest) external onlyRole(MINTER_ROLE) {
        _requireOwned(residentNumber);
        if (newDigest == 0) revert MissingMetadataDigest();
        _metadataDigests[residentNumber] = newDigest;
        emit MetadataUpdate(residentNumber);
    }

    /**
     * @notice Sets the collection metadata URI.
     *
     * Requirements: the caller has `DEFAULT_ADMIN_ROLE`.
     *
     * Emits {ContractURIUpdated}.
     */
    function setContractURI(string calldata newContractURI) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _contractURI = newContractURI;
        emit ContractURIUpdated();
    }

    /// @notice The collection metadata URI (ERC-7572).
    function contractURI() external view returns (string memory) {
        return _contractURI;
    }

    /// @notice `ipfs://` and the CIDv1 (raw, sha2-256, base32) of the card's metadata block.
    function tokenURI(uint256 residentNumber) public view override returns (string memory) {
        _requireOwned(residentNumber);
        return _rawSha256CidURI(_metadataDigests[residentNumber]);
    }

    /// @notice The sha2-256 digest of the card's metadata block.
    function metadataDigestOf(uint256 residentNumber) external view returns (bytes32) {
        _requireOwned(residentNumber);
        return _metadataDigests[residentNumber];
    }

    /// @dev The CID bytes are `0x01 0x55 0x12 0x20 ‖ digest` (288 bits), base32 encoded into 58
    /// characters without padding. The first six are constant (see `_RAW_SHA256_CID_URI_PREFIX`);
    /// the other 52 encode the bit string `00 ‖ digest ‖ 00`: the prefix's last two bits, the
    /// 256 digest bits, and two zero bits that fill the last character.
    function _rawSha256CidURI(bytes32 digest) private pure returns (string memory) {
        bytes memory encoded = new bytes(52);
        uint256 bits = uint256(digest);
        encoded[0] = _BASE32_ALPHABET[bits >> 253];
        // The digest's low 253 bits followed by the two filler bits: 255 bits, 51 characters.
        uint256 rest = (bits << 3) >> 1;
        for (uint256 i = 1; i < 52; ++i) {
            encoded[i] = _BASE32_ALPHABET[(rest >> (5 * (51 - i))) & 31];
        }
        return string.concat(_RAW_SHA256_CID_URI_PREFIX, string(encoded));
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           ANCHORS                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /**
     * @notice Anchors the Merkle root of an exchange event's attendance list under `eventKey`.
     *
     * Requirements:
     *
     * - the caller has `ORGANIZER_ROLE`;
     * - `eventKey` and `merkleRoot` are not zero and `attendeeCount` is at least one;
     * - nothing was ever anchored under `eventKey`.
     *
     * Emits {AttendanceAnchored}.
     */
    function anchorAttendance(bytes32 eventKey, bytes32 merkleRoot, uint32 attendeeCount)
        external
        onlyRole(ORGANIZER_ROLE)
    {
        if (eventKey == 0 || merkleRoot == 0 || attendeeCount == 0) {
            revert InvalidAttendanceAnchor(eventKey, merkleRoot, attendeeCount);
        }
        _record(eventKey, AnchorKind.Attendance, merkleRoot, attendeeCount);
        emit AttendanceAnchored(eventKey, merkleRoot, attendeeCount);
    }

    /// @notice The attendance anchored under `eventKey`; all zero when none was (or it was voided).
    /// @return merkleRoot the root of the attendance tree.
    /// @return attendeeCount the number of leaves.
    /// @return anchoredAt the timestamp of the anchoring block.
    function attendanceRoot(bytes32 eventKey)
        external
        view
        returns (bytes32 merkleRoot, uint32 attendeeCount, uint64 anchoredAt)
    {
        Anchor storage anchor = _anchors[eventKey];
        if (anchor.kind != AnchorKind.Attendance || anchor.voided) return (0, 0, 0);
        return (anchor.value, uint32(anchor.detail), anchor.anchoredAt);
    }

    /**
     * @notice Commits the entries of an issuance round's lottery before its draw block exists:
     * the hash of block `drawBlock` will be the seed, so it cannot be known yet.
     *
     * Requirements:
     *
     * - the caller has `ORGANIZER_ROLE`;
     * - `roundKey` and `commitment` are not zero, and `drawBlock` is after the current block;
     * - nothing was ever anchored under `roundKey`.
     *
     * Emits {DrawCommitted}.
     */
    function commitDraw(bytes32 roundKey, bytes32 commitment, uint64 drawBlock) external onlyRole(ORGANIZER_ROLE) {
        if (roundKey == 0 || commitment == 0 || drawBlock <= block.number) {
            revert InvalidDrawCommitment(roundKey, commitment, drawBlock);
        }
        _record(roundKey, AnchorKind.Draw, commitment, drawBlock);
        emit DrawCommitted(roundKey, commitment, drawBlock);
    }

    /// @notice The lottery commitment under `roundKey`; all zero when none was (or it was voided).
    function drawCommitment(bytes32 roundKey)
        external
        view
        returns (bytes32 commitment, uint64 drawBlock, uint64 committedAt)
    {
        Anchor storage anchor = _anchors[roundKey];
        if (anchor.kind != AnchorKind.Draw || anchor.voided) return (0, 0, 0);
        return (anchor.value, anchor.detail, anchor.anchoredAt);
    }

    /**
     * @notice Anchors the Merkle root of a vote's published ballots under `proposalKey`.
     *
     * Requirements:
     *
     * - the caller has `ORGANIZER_ROLE`;
     * - `proposalKey` and `ballotsRoot` are not zero;
     * - nothing was ever anchored under `proposalKey`.
     *
     * Emits {VoteResultAnchored}.
     */
    function anchorVoteResult(bytes32 proposalKey, bytes32 ballotsRoot) external onlyRole(ORGANIZER_ROLE) {
        if (proposalKey == 0 || ballotsRoot == 0) revert InvalidVoteResult(proposalKey, ballotsRoot);
        _record(proposalKey, AnchorKind.Vote, ballotsRoot, 0);
        emit VoteResultAnchored(proposalKey, ballotsRoot);
    }

    /// @notice The ballots root under `proposalKey`; all zero when none was (or it was voided).
    function voteResult(bytes32 proposalKey) external view returns (bytes32 ballotsRoot, uint64 anchoredAt) {
        Anchor storage anchor = _anchors[proposalKey];
        if (anchor.kind != AnchorKind.Vote || anchor.voided) return (0, 0);
        return (anchor.value, anchor.anchoredAt);
    }

    /**
     * @notice Voids the record under `key` (a wrong root, an anchor that should not exist). The
     * key can never be used again: anchor the record afresh under a new key.
     *
     * Requirements:
     *
     * - the caller has `DEFAULT_ADMIN_ROLE`;
     * - a record is anchored under `key` and not voided yet.
     *
     * Emits {AnchorVoided}.
     */
    function voidAnchor(bytes32 key) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Anchor storage anchor = _anchors[key];
        if (anchor.kind == AnchorKind.None) revert NothingAnchored(key);
        if (anchor.voided) revert AnchorKeyVoided(key);
        anchor.voided = true;
        emit AnchorVoided(key);
    }

    /// @dev Writes a record under an unused key; the caller has checked its arguments.
    function _record(bytes32 key, AnchorKind kind, bytes32 value, uint64 detail) private {
        Anchor storage anchor = _anchors[key];
        if (anchor.voided) revert AnchorKeyVoided(key);
        if (anchor.kind != AnchorKind.None) revert AnchorKeyUsed(key);
        _anchors[key] = Anchor(value, uint64(block.timestamp), detail, kind, false);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         SOULBOUND                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @inheritdoc IERC5192
    function locked(uint256 residentNumber) external view returns (bool) {
        _requireOwned(residentNumber);
        return _soulbound;
    }

    /// @notice Whether the collection was deployed soulbound.
    function soulbound() external view returns (bool) {
        return _soulbound;
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                      ERC-721 HOOKS                         */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /**
     * @dev Every change of holder goes through here. A non-zero `auth` means a holder, an
     * approved address or an operator is moving the card ({transferFrom}, {safeTransferFrom}):
     * refused when soulbound, after the card's existence is checked. Mints, {recover} and
     * {revoke} pass no `auth`: they are checked by their role. A card cannot join another card
     * in one wallet; mints check that themselves, with errors that name the batch entry.
     */
    function _update(address to, uint256 residentNumber, address auth) internal override returns (address from) {
        from = _ownerOf(residentNumber);
        if (auth != address(0)) {
            if (_soulbound && from != address(0)) revert ResidentCardLocked(residentNumber);
            _checkAuthorized(from, auth, residentNumber);
        }
        if (from != address(0) && to != address(0) && to != from && balanceOf(to) != 0) {
            revert WalletAlreadyHoldsCard(to);
        }
        super._update(to, residentNumber, address(0));
        if (from == address(0) && _soulbound) emit Locked(residentNumber);
    }

    /// @dev A soulbound card cannot be approved; clearing its approval is always allowed.
    function _approve(address to, uint256 residentNumber, address auth, bool emitEvent) internal override {
        if (_soulbound && to != address(0)) {
            _requireOwned(residentNumber);
            revert ResidentCardLocked(residentNumber);
        }
        super._approve(to, residentNumber, auth, emitEvent);
    }

    /// @dev No operator can be approved on a soulbound collection; withdrawing one always works.
    function _setApprovalForAll(address holder, address operator, bool approved) internal override {
        if (_soulbound && approved) revert ResidentCardsSoulbound();
        super._setApprovalForAll(holder, operator, approved);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           ERC-165                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC721, AccessControlDefaultAdminRules, IERC165)
        returns (bool)
    {
        return interfaceId == type(IERC5192).interfaceId || interfaceId == _ERC4906_INTERFACE_ID
            || super.supportsInterface(interfaceId);
    }
}
