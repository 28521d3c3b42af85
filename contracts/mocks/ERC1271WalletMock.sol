// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @dev A smart-contract wallet for the sign-in tests, after OpenZeppelin's mock of the same
/// name: it accepts a signature when its one owner (an EOA) signed the hash.
contract ERC1271WalletMock is IERC1271 {
    address private immutable _owner;

    constructor(address owner_) {
        _owner = owner_;
    }

    function owner() external view returns (address) {
        return _owner;
    }

    /// @inheritdoc IERC1271
    /// @dev Returns the magic value 0x1626ba7e iff `signature` recovers to the owner; a
    /// malformed signature answers "not valid" (0) instead of reverting.
    function isValidSignature(bytes32 hash, bytes memory signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError recoverError, ) = ECDSA.tryRecover(hash, signature);
        return recoverError == ECDSA.RecoverError.NoError && signer == _owner ? this.isValidSignature.selector : bytes4(0);
    }
}
