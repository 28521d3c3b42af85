// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/**
 * @title Stock OpenZeppelin ERC721 + digest baseline for the gas benchmark, never deployed for real
 * @notice The least a card on stock ERC721 can store: one sha2-256 metadata digest per token
 * (the CID follows from it), the counter written once per batch, one card per wallet and, when
 * soulbound, an ERC-5192 `Locked` event per card. {DigitalResident} must cost no more than 1 %
 * above this: whatever it adds beyond it (roles, anchors, hooks) may not show in a mint.
 */
contract FairDigestCard is ERC721, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    event Locked(uint256 tokenId);

    error WalletAlreadyHoldsCard(address wallet);
    error FairBatchLengthMismatch(uint256 recipients, uint256 digests);

    bool private immutable _soulbound;
    uint256 private _lastTokenId;
    mapping(uint256 tokenId => bytes32 digest) private _digests;

    constructor(string memory name_, string memory symbol_, address admin, bool soulbound_) ERC721(name_, symbol_) {
        _soulbound = soulbound_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    function mint(address to, bytes32 digest) external onlyRole(MINTER_ROLE) returns (uint256 tokenId) {
        tokenId = ++_lastTokenId;
        _issue(to, tokenId, digest);
    }

    function mintBatch(address[] calldata recipients, bytes32[] calldata digests) external onlyRole(MINTER_ROLE) {
        uint256 count = recipients.length;
        if (count != digests.length) revert FairBatchLengthMismatch(count, digests.length);
        uint256 first = _lastTokenId + 1;
        for (uint256 i; i < count; ++i) {
            _issue(recipients[i], first + i, digests[i]);
        }
        _lastTokenId = first + count - 1;
    }

    function _issue(address to, uint256 tokenId, bytes32 digest) private {
        if (balanceOf(to) != 0) revert WalletAlreadyHoldsCard(to);
        _digests[tokenId] = digest;
        _mint(to, tokenId);
        if (_soulbound) emit Locked(tokenId);
    }

    function supportsInterface(bytes4 interfaceId) public view override(ERC721, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
