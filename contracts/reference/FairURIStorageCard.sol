// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";

/**
 * @title Fair URI-storage baseline for the gas benchmark (bench/gas), never deployed for real
 * @notice What a careful team builds with OpenZeppelin's ERC721URIStorage: base URI `ipfs://`
 * so each token stores only its CID string (59 characters), the counter written once per batch,
 * and the same rules as {DigitalResident} where they cost gas: one card per wallet and, when
 * soulbound, an ERC-5192 `Locked` event per card.
 */
contract FairURIStorageCard is ERC721URIStorage, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    event Locked(uint256 tokenId);

    error WalletAlreadyHoldsCard(address wallet);
    error FairBatchLengthMismatch(uint256 recipients, uint256 cids);

    bool private immutable _soulbound;
    uint256 private _lastTokenId;

    constructor(string memory name_, string memory symbol_, address admin, bool soulbound_) ERC721(name_, symbol_) {
        _soulbound = soulbound_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    function mint(address to, string calldata cid) external onlyRole(MINTER_ROLE) returns (uint256 tokenId) {
        tokenId = ++_lastTokenId;
        _issue(to, tokenId, cid);
    }

    function mintBatch(address[] calldata recipients, string[] calldata cids) external onlyRole(MINTER_ROLE) {
        uint256 count = recipients.length;
        if (count != cids.length) revert FairBatchLengthMismatch(count, cids.length);
        uint256 first = _lastTokenId + 1;
        for (uint256 i; i < count; ++i) {
            _issue(recipients[i], first + i, cids[i]);
        }
        _lastTokenId = first + count - 1;
    }

    function _issue(address to, uint256 tokenId, string calldata cid) private {
        if (balanceOf(to) != 0) revert WalletAlreadyHoldsCard(to);
        _mint(to, tokenId);
        _setTokenURI(tokenId, cid);
        if (_soulbound) emit Locked(tokenId);
    }

    function _baseURI() internal pure override returns (string memory) {
        return "ipfs://";
    }

    function supportsInterface(bytes4 interfaceId) public view override(ERC721URIStorage, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
