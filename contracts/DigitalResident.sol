// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title Nishikawa digital resident card (first cut; the full card is issue 3)
/// @notice One ERC-721 token per digital resident; the token id is the resident number.
contract DigitalResident is ERC721, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    uint256 private _lastResidentNumber;
    mapping(uint256 residentNumber => bytes32 digest) private _metadataDigest;
    bool private immutable _soulbound;
    string private _contractURI;

    constructor(string memory name_, string memory symbol_, address admin, bool soulbound_, string memory contractURI_)
        ERC721(name_, symbol_)
    {
        _soulbound = soulbound_;
        _contractURI = contractURI_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @notice Issue the next resident card to `to`, with the sha2-256 digest of its metadata block.
    /// Emits a {Transfer} event.
    function mint(address to, bytes32 metadataDigest) external onlyRole(MINTER_ROLE) returns (uint256 residentNumber) {
        residentNumber = ++_lastResidentNumber;
        _metadataDigest[residentNumber] = metadataDigest;
        _mint(to, residentNumber);
    }

    /// @notice The highest resident number issued so far.
    function lastResidentNumber() external view returns (uint256) {
        return _lastResidentNumber;
    }

    function contractURI() external view returns (string memory) {
        return _contractURI;
    }

    function supportsInterface(bytes4 interfaceId) public view override(ERC721, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
