// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";

/**
 * @title Baseline for the gas benchmark (bench/gas), never deployed for real
 * @notice The textbook card: OpenZeppelin ERC721URIStorage + AccessControl storing the full
 * `ipfs://bafkrei…` string per token, with a plain loop for batches. It offers the same
 * operations as {DigitalResident} where OpenZeppelin has one (transfer, admin move, burn,
 * token URI update), so each can be measured side by side. No one-card-per-wallet rule.
 */
contract ReferenceResidentCard is ERC721URIStorage, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    uint256 private _lastTokenId;

    error ReferenceBatchLengthMismatch(uint256 recipients, uint256 uris);

    constructor(string memory name_, string memory symbol_, address admin) ERC721(name_, symbol_) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    function mint(address to, string calldata uri) public onlyRole(MINTER_ROLE) returns (uint256 tokenId) {
        tokenId = ++_lastTokenId;
        _mint(to, tokenId);
        _setTokenURI(tokenId, uri);
    }

    function mintBatch(address[] calldata recipients, string[] calldata uris) external onlyRole(MINTER_ROLE) {
        if (recipients.length != uris.length) revert ReferenceBatchLengthMismatch(recipients.length, uris.length);
        for (uint256 i = 0; i < recipients.length; i++) {
            mint(recipients[i], uris[i]);
        }
    }

    /// @dev The admin move OpenZeppelin offers: `_update` without an authorization check.
    function recover(uint256 tokenId, address newHolder) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _update(newHolder, tokenId, address(0));
    }

    function revoke(uint256 tokenId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _burn(tokenId);
    }

    function updateTokenURI(uint256 tokenId, string calldata uri) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireOwned(tokenId);
        _setTokenURI(tokenId, uri);
    }

    function lastTokenId() external view returns (uint256) {
        return _lastTokenId;
    }

    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC721URIStorage, AccessControl)
        returns (bool)
    {
        return super.supportsInterface(interfaceId);
    }
}
