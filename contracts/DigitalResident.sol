// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {ERC721Utils} from "@openzeppelin/contracts/token/ERC721/utils/ERC721Utils.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC5192} from "./interfaces/IERC5192.sol";

/**
 * @title Nishikawa digital resident card
 * @notice One ERC-721 card per digital resident of Nishikawa-machi. The token id is the resident
 * number: 1, 2, 3, … assigned here, never reused, not even after a revocation.
 *
 * @dev Decisions the off-chain code relies on:
 *
 * - **Roles.** `DEFAULT_ADMIN_ROLE` (the town) recovers, revokes, replaces metadata, sets the
 *   collection URI and grants roles. `MINTER_ROLE` (the minting key) issues cards.
 *   `ORGANIZER_ROLE` (the mayor's office) anchors attendance of real-world exchange events.
 *   The constructor gives `admin` the admin and minter roles; organizers are granted later.
 * - **One card per wallet.** Minting, transferring or recovering to a wallet that already holds
 *   a card reverts with {WalletAlreadyHoldsCard} (the batch variant carries the index).
 *   `balanceOf` is therefore 0 or 1, and {cardOf} answers "which card does this wallet hold".
 * - **Metadata.** Each card's metadata JSON is one raw IPFS block, so its CIDv1 (raw codec
 *   0x55, sha2-256 multihash, base32 lower, `b` prefix) is fixed by the block's sha2-256 digest.
 *   Only the digest is stored; {tokenURI} returns `ipfs://bafkrei…` (66 characters) built here.
 *   A zero digest is refused ({MissingMetadataDigest}) since it almost surely means a caller bug.
 * - **Soulbound or transferable** is fixed at deploy. When soulbound every card is locked
 *   (ERC-5192): `Locked` is emitted at mint, and transfers and approvals revert with
 *   {ResidentCardLocked} / {ResidentCardsSoulbound}. Admin recovery works in both modes.
 * - **Revocation** burns the card. The reason is a `uint8` code carried in
 *   {ResidentCardRevoked} and not interpreted on-chain. Codes used by the town's tools:
 *   0 unspecified, 1 at the holder's request, 2 issued in error, 3 terms of use breached;
 *   other values are free for later use.
 * - **Attendance anchors.** {anchorAttendance} stores, once per event id, the Merkle root of an
 *   exchange event's attendance list with its attendee count and the block timestamp;
 *   {attendanceRoot} returns `(merkleRoot, attendeeCount, anchoredAt)`, all zero when nothing
 *   was anchored. The tree format (leaf encoding, pair hashing) is the off-chain code's choice;
 *   the contract only keeps the root. It lives here, not in a second contract, so the town
 *   deploys, configures and grants roles on one address.
 * - **Receiver checks.** Only `safeTransferFrom` calls `onERC721Received`. Minting and
 *   recovery do not: both are admin actions towards wallets the town has checked, and a
 *   receiver call per card would cost every batch mint.
 */
contract DigitalResident is AccessControl, IERC721Metadata, IERC4906, IERC5192, IERC721Errors {
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

    /// @notice The attendance list of exchange event `eventId` was anchored.
    event AttendanceAnchored(uint256 indexed eventId, bytes32 merkleRoot, uint32 attendeeCount);

    /// @notice The collection metadata behind {contractURI} changed (ERC-7572).
    event ContractURIUpdated();

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                        CUSTOM ERRORS                       */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @dev Card `residentNumber` is soulbound: it cannot be transferred or approved.
    error ResidentCardLocked(uint256 residentNumber);

    /// @dev The collection is soulbound, so operators cannot be approved.
    error ResidentCardsSoulbound();

    /// @dev `wallet` already holds card `residentNumber`; a wallet holds at most one card.
    error WalletAlreadyHoldsCard(address wallet, uint256 residentNumber);

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

    /// @dev Entry `index` of a batch is `recipient`, who already holds card `residentNumber`.
    error MintBatchRecipientHoldsCard(uint256 index, address recipient, uint256 residentNumber);

    /// @dev Entry `index` of a batch repeats `recipient`, first listed at `firstIndex`.
    error MintBatchDuplicateRecipient(uint256 index, address recipient, uint256 firstIndex);

    /// @dev Event `eventId` was already anchored with `merkleRoot`; anchors are final.
    error AttendanceAlreadyAnchored(uint256 eventId, bytes32 merkleRoot);

    /// @dev An anchor needs a non-zero root and at least one attendee.
    error InvalidAttendanceAnchor(uint256 eventId, bytes32 merkleRoot, uint32 attendeeCount);

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           STORAGE                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    // Minting a card writes exactly three new slots, the floor for this design:
    //
    //   _holders[residentNumber]          one slot:  bits [0, 160) holder address,
    //                                                bits [160, 256) zero (unused)
    //   _cardOf[wallet]                   one slot:  the resident number the wallet holds, 0 if none
    //                                                (replaces ERC-721's balance counter: the
    //                                                balance is `_cardOf[wallet] != 0 ? 1 : 0`)
    //   _metadataDigests[residentNumber]  one slot:  sha2-256 digest of the metadata JSON block
    //                                                (the whole CID follows from it; see tokenURI)
    //
    // plus `_lastResidentNumber`, written once per mint or once per batch. Approvals are only
    // written when someone approves; an exchange-event anchor takes two slots (root; count and
    // timestamp packed into one).

    /// @dev Soulbound or transferable, fixed at deploy.
    bool private immutable _soulbound;

    string private _name;
    string private _symbol;
    string private _contractURI;

    uint256 private _lastResidentNumber;

    mapping(uint256 residentNumber => address holder) private _holders;
    mapping(address wallet => uint256 residentNumber) private _cardOf;
    mapping(uint256 residentNumber => bytes32 digest) private _metadataDigests;

    mapping(uint256 residentNumber => address operator) private _cardApprovals;
    mapping(address holder => mapping(address operator => bool approved)) private _operatorApprovals;

    /// @dev Slot 0: `merkleRoot`. Slot 1: bits [0, 32) `attendeeCount`, [32, 96) `anchoredAt`.
    struct AttendanceAnchor {
        bytes32 merkleRoot;
        uint32 attendeeCount;
        uint64 anchoredAt;
    }

    mapping(uint256 eventId => AttendanceAnchor) private _attendance;

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         CONSTRUCTOR                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @param admin receives `DEFAULT_ADMIN_ROLE` and `MINTER_ROLE`.
    /// @param soulbound_ true for locked (ERC-5192) cards, false for transferable ones; final.
    constructor(
        string memory name_,
        string memory symbol_,
        address admin,
        bool soulbound_,
        string memory contractURI_
    ) {
        _name = name_;
        _symbol = symbol_;
        _soulbound = soulbound_;
        _contractURI = contractURI_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
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
        uint256 held = _cardOf[to];
        if (held != 0) revert WalletAlreadyHoldsCard(to, held);

        // Cannot overflow: one more than a counter that only ever grows by one per card.
        unchecked {
            residentNumber = _lastResidentNumber + 1;
        }
        _lastResidentNumber = residentNumber;
        _issue(to, residentNumber, metadataDigest);
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
                uint256 held = _cardOf[to];
                if (held != 0) {
                    // Resident numbers from `firstNumber` on were issued by this very batch.
                    if (held >= firstNumber) revert MintBatchDuplicateRecipient(i, to, held - firstNumber);
                    revert MintBatchRecipientHoldsCard(i, to, held);
                }
                _issue(to, firstNumber + i, digest);
            }
            _lastResidentNumber = firstNumber + count - 1;
        }
    }

    /// @notice The highest resident number issued so far (0 before the first card).
    function lastResidentNumber() external view returns (uint256) {
        return _lastResidentNumber;
    }

    /// @notice The resident number of the card `wallet` holds, or 0 if it holds none.
    function cardOf(address wallet) external view returns (uint256) {
        return _cardOf[wallet];
    }

    /// @dev Writes the three slots of a new card. The caller has checked `to` and `digest`.
    function _issue(address to, uint256 residentNumber, bytes32 digest) private {
        _holders[residentNumber] = to;
        _cardOf[to] = residentNumber;
        _metadataDigests[residentNumber] = digest;
        emit Transfer(address(0), to, residentNumber);
        if (_soulbound) emit Locked(residentNumber);
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
     * - `newHolder` is not the zero address and holds no card.
     *
     * Emits {Transfer} and {ResidentCardRecovered}.
     */
    function recover(uint256 residentNumber, address newHolder) external onlyRole(DEFAULT_ADMIN_ROLE) {
        address holder = _requireHolder(residentNumber);
        if (newHolder == address(0)) revert ERC721InvalidReceiver(address(0));
        uint256 held = _cardOf[newHolder];
        if (held != 0) revert WalletAlreadyHoldsCard(newHolder, held);

        _move(holder, newHolder, residentNumber);
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
        address holder = _requireHolder(residentNumber);

        _clearApproval(residentNumber);
        delete _holders[residentNumber];
        delete _cardOf[holder];
        // The digest stays: every read of it checks the holder first, the number is never
        // issued again, and clearing it would cost ~5,000 gas for a refund already capped
        // at a fifth of the transaction by the two slots above.

        emit Transfer(holder, address(0), residentNumber);
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
     * - the caller has `DEFAULT_ADMIN_ROLE`;
     * - the card exists;
     * - `newDigest` is not zero.
     *
     * Emits {MetadataUpdate} (ERC-4906).
     */
    function updateMetadata(uint256 residentNumber, bytes32 newDigest) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireHolder(residentNumber);
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

    /// @inheritdoc IERC721Metadata
    function name() external view returns (string memory) {
        return _name;
    }

    /// @inheritdoc IERC721Metadata
    function symbol() external view returns (string memory) {
        return _symbol;
    }

    /// @notice `ipfs://` and the CIDv1 (raw, sha2-256, base32) of the card's metadata block.
    function tokenURI(uint256 residentNumber) external view returns (string memory) {
        _requireHolder(residentNumber);
        return _rawSha256CidURI(_metadataDigests[residentNumber]);
    }

    /// @notice The sha2-256 digest of the card's metadata block.
    function metadataDigestOf(uint256 residentNumber) external view returns (bytes32) {
        _requireHolder(residentNumber);
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
    /*                     EXCHANGE-EVENT RECORDS                 */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /**
     * @notice Anchors the Merkle root of the attendance list of exchange event `eventId`.
     *
     * Requirements:
     *
     * - the caller has `ORGANIZER_ROLE`;
     * - `merkleRoot` is not zero and `attendeeCount` is at least one;
     * - nothing was anchored for `eventId` yet.
     *
     * Emits {AttendanceAnchored}.
     */
    function anchorAttendance(uint256 eventId, bytes32 merkleRoot, uint32 attendeeCount)
        external
        onlyRole(ORGANIZER_ROLE)
    {
        if (merkleRoot == 0 || attendeeCount == 0) {
            revert InvalidAttendanceAnchor(eventId, merkleRoot, attendeeCount);
        }
        AttendanceAnchor storage anchor = _attendance[eventId];
        bytes32 anchored = anchor.merkleRoot;
        if (anchored != 0) revert AttendanceAlreadyAnchored(eventId, anchored);

        anchor.merkleRoot = merkleRoot;
        anchor.attendeeCount = attendeeCount;
        anchor.anchoredAt = uint64(block.timestamp);
        emit AttendanceAnchored(eventId, merkleRoot, attendeeCount);
    }

    /// @notice The anchored attendance of `eventId`; all zero when nothing was anchored.
    /// @return merkleRoot the root of the attendance tree.
    /// @return attendeeCount the number of leaves.
    /// @return anchoredAt the timestamp of the anchoring block.
    function attendanceRoot(uint256 eventId)
        external
        view
        returns (bytes32 merkleRoot, uint32 attendeeCount, uint64 anchoredAt)
    {
        AttendanceAnchor storage anchor = _attendance[eventId];
        return (anchor.merkleRoot, anchor.attendeeCount, anchor.anchoredAt);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         SOULBOUND                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @inheritdoc IERC5192
    function locked(uint256 residentNumber) external view returns (bool) {
        _requireHolder(residentNumber);
        return _soulbound;
    }

    /// @notice Whether the collection was deployed soulbound.
    function soulbound() external view returns (bool) {
        return _soulbound;
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           ERC-721                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @inheritdoc IERC721
    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert ERC721InvalidOwner(address(0));
        return _cardOf[owner] == 0 ? 0 : 1;
    }

    /// @inheritdoc IERC721
    function ownerOf(uint256 residentNumber) external view returns (address) {
        return _requireHolder(residentNumber);
    }

    /// @inheritdoc IERC721
    function getApproved(uint256 residentNumber) external view returns (address) {
        _requireHolder(residentNumber);
        return _cardApprovals[residentNumber];
    }

    /// @inheritdoc IERC721
    function isApprovedForAll(address owner, address operator) public view returns (bool) {
        return _operatorApprovals[owner][operator];
    }

    /**
     * @inheritdoc IERC721
     * @dev Reverts with {ResidentCardLocked} when soulbound.
     */
    function approve(address to, uint256 residentNumber) external {
        address holder = _requireHolder(residentNumber);
        if (_soulbound) revert ResidentCardLocked(residentNumber);
        if (msg.sender != holder && !isApprovedForAll(holder, msg.sender)) revert ERC721InvalidApprover(msg.sender);
        _cardApprovals[residentNumber] = to;
        emit Approval(holder, to, residentNumber);
    }

    /**
     * @inheritdoc IERC721
     * @dev Reverts with {ResidentCardsSoulbound} when soulbound.
     */
    function setApprovalForAll(address operator, bool approved) external {
        if (_soulbound) revert ResidentCardsSoulbound();
        if (operator == address(0)) revert ERC721InvalidOperator(address(0));
        _operatorApprovals[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    /**
     * @inheritdoc IERC721
     * @dev Also reverts with {ResidentCardLocked} when soulbound and with
     * {WalletAlreadyHoldsCard} when `to` (other than the holder) already holds a card.
     */
    function transferFrom(address from, address to, uint256 residentNumber) public {
        address holder = _requireHolder(residentNumber);
        if (_soulbound) revert ResidentCardLocked(residentNumber);
        if (to == address(0)) revert ERC721InvalidReceiver(address(0));
        if (
            msg.sender != holder && _cardApprovals[residentNumber] != msg.sender
                && !isApprovedForAll(holder, msg.sender)
        ) revert ERC721InsufficientApproval(msg.sender, residentNumber);
        if (from != holder) revert ERC721IncorrectOwner(from, residentNumber, holder);
        if (to != holder) {
            uint256 held = _cardOf[to];
            if (held != 0) revert WalletAlreadyHoldsCard(to, held);
        }
        _move(holder, to, residentNumber);
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address from, address to, uint256 residentNumber) external {
        safeTransferFrom(from, to, residentNumber, "");
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address from, address to, uint256 residentNumber, bytes memory data) public {
        transferFrom(from, to, residentNumber);
        ERC721Utils.checkOnERC721Received(msg.sender, from, to, residentNumber, data);
    }

    /// @dev Moves a card whose holder is `from`; the caller has done every check. Writing
    /// `_cardOf[from]` before `_cardOf[to]` keeps a transfer to oneself correct.
    function _move(address from, address to, uint256 residentNumber) private {
        _clearApproval(residentNumber);
        _holders[residentNumber] = to;
        delete _cardOf[from];
        _cardOf[to] = residentNumber;
        emit Transfer(from, to, residentNumber);
    }

    /// @dev Reading before deleting avoids a no-op write; a soulbound card never has an
    /// approval, so the (cold) read is skipped altogether.
    function _clearApproval(uint256 residentNumber) private {
        if (!_soulbound && _cardApprovals[residentNumber] != address(0)) delete _cardApprovals[residentNumber];
    }

    /// @dev The holder of card `residentNumber`; reverts if it was never issued or was revoked.
    function _requireHolder(uint256 residentNumber) private view returns (address holder) {
        holder = _holders[residentNumber];
        if (holder == address(0)) revert ERC721NonexistentToken(residentNumber);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           ERC-165                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(AccessControl, IERC165) returns (bool) {
        return interfaceId == type(IERC721).interfaceId || interfaceId == type(IERC721Metadata).interfaceId
            || interfaceId == type(IERC5192).interfaceId || interfaceId == _ERC4906_INTERFACE_ID
            || super.supportsInterface(interfaceId);
    }
}
