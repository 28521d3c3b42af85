// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";

/**
 * @title Factory of passkey residents' accounts
 * @notice Deploys one {ResidentAccount} clone per passkey public key, at an address known before
 * it is deployed: a card can be minted to {predictAccount} first, and the account deployed when
 * it is first needed (by the town's minter, which pays for it).
 *
 * @dev Each account is an ERC-1167 clone of `implementation` with the key `qx ‖ qy` as its
 * immutable arguments, created with CREATE2 and a zero salt: the address is
 * `keccak256(0xff ‖ factory ‖ 0 ‖ keccak256(cloneCode(implementation, qx ‖ qy)))[12:]`, a
 * function of the factory, the implementation and the key only. Anyone may call
 * {createAccount}: the account it makes is controlled by the key alone, so deploying it for
 * somebody else gives the caller nothing.
 */
contract ResidentAccountFactory {
    /// @dev Every account is created with this salt; the key in the clone's code makes it unique.
    bytes32 private constant _SALT = bytes32(0);

    /// @notice The {ResidentAccount} that every account delegates to.
    address public immutable implementation;

    /// @notice An account was deployed for the passkey public key (`qx`, `qy`).
    event ResidentAccountCreated(address indexed account, bytes32 qx, bytes32 qy);

    /// @notice (`qx`, `qy`) is not a point of the P-256 curve, so no passkey could sign for it.
    error InvalidPasskeyPublicKey(bytes32 qx, bytes32 qy);

    /// @notice `implementation_` has no code: clones of it could never run.
    error AccountImplementationMissing(address implementation_);

    constructor(address implementation_) {
        if (implementation_.code.length == 0) revert AccountImplementationMissing(implementation_);
        implementation = implementation_;
    }

    /**
     * @notice Deploys the account of passkey (`qx`, `qy`) unless it exists, and returns its address.
     * @dev Idempotent: a second call returns the same address and emits nothing.
     *
     * Requirements:
     *
     * - (`qx`, `qy`) is a valid P-256 public key.
     *
     * Emits a {ResidentAccountCreated} event when the account is deployed.
     */
    function createAccount(bytes32 qx, bytes32 qy) external returns (address account) {
        account = predictAccount(qx, qy);
        if (account.code.length != 0) return account;
        if (!P256.isValidPublicKey(qx, qy)) revert InvalidPasskeyPublicKey(qx, qy);
        Clones.cloneDeterministicWithImmutableArgs(implementation, _args(qx, qy), _SALT);
        emit ResidentAccountCreated(account, qx, qy);
    }

    /// @notice The address of the account of passkey (`qx`, `qy`), deployed or not.
    function predictAccount(bytes32 qx, bytes32 qy) public view returns (address) {
        return Clones.predictDeterministicAddressWithImmutableArgs(implementation, _args(qx, qy), _SALT);
    }

    function _args(bytes32 qx, bytes32 qy) private pure returns (bytes memory) {
        return abi.encodePacked(qx, qy);
    }
}
