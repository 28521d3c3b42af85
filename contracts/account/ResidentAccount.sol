// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Account} from "@openzeppelin/contracts/account/Account.sol";
import {ERC7821} from "@openzeppelin/contracts/account/extensions/draft-ERC7821.sol";
import {ERC721Holder} from "@openzeppelin/contracts/token/ERC721/utils/ERC721Holder.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {ERC7739} from "@openzeppelin/contracts/utils/cryptography/signers/draft-ERC7739.sol";
import {SignerP256} from "@openzeppelin/contracts/utils/cryptography/signers/SignerP256.sol";
import {SignerWebAuthn} from "@openzeppelin/contracts/utils/cryptography/signers/SignerWebAuthn.sol";

/**
 * @title A passkey resident's own account
 * @notice Holds a passkey resident's card. Only the resident's passkey (a P-256 WebAuthn
 * credential: Face ID, Touch ID, Windows Hello, a security key) can sign for it; the town
 * cannot. Every path that accepts smart-contract wallets (ERC-1271) accepts this account.
 *
 * @dev Built from OpenZeppelin's audited parts:
 *
 * - {SignerWebAuthn} checks a signature as an abi-encoded `WebAuthn.WebAuthnAuth` assertion
 *   over the hash (the challenge is the 32-byte hash itself, base64url in `clientDataJSON`),
 *   with user verification required, `s` at most N/2, and the RIP-7212 precompile where the
 *   chain has one (OpenZeppelin's Solidity P-256 otherwise).
 * - {ERC7739} answers `isValidSignature` only for hashes nested in this account's EIP-712 domain
 *   (`PersonalSign` or `TypedDataSign`), so one assertion cannot be replayed to another account
 *   or application held by the same passkey.
 * - {ERC7821} executes batches of calls when the ERC-4337 entry point (or the account itself)
 *   asks, after {Account-validateUserOp} checked the passkey's assertion over the user
 *   operation hash; {ERC721Holder} lets the card arrive by `safeTransferFrom`.
 *
 * Clones and their key: {ResidentAccountFactory} deploys one clone of this contract per
 * passkey with `Clones.cloneDeterministicWithImmutableArgs`, the public key `qx ‖ qy` (64 bytes)
 * appended to the clone's code. {signer} reads it back from there, so a clone has no storage and
 * no initializer to front-run, and its address follows from the key alone.
 *
 * The implementation itself is never a signer: {signer} answers the invalid key (0, 0) there,
 * which {P256-verify} refuses. (The `SignerP256` constructor must be given some valid key; the
 * curve's generator fills the implementation's two storage slots, which nothing reads.)
 */
contract ResidentAccount is Account, SignerWebAuthn, ERC7739, ERC7821, ERC721Holder {
    /// @dev Name and version of every resident account's EIP-712 domain (the verifying contract
    /// is the clone's own address), used by the ERC-7739 hashes.
    string public constant DOMAIN_NAME = "Nishikawa Resident Account";
    string public constant DOMAIN_VERSION = "1";

    /// @dev This implementation's own address, to tell a call on it from a call on a clone.
    address private immutable _self = address(this);

    constructor() EIP712(DOMAIN_NAME, DOMAIN_VERSION) SignerP256(bytes32(P256.GX), bytes32(P256.GY)) {}

    /**
     * @notice The passkey's P-256 public key: the 64 bytes the factory appended to this clone.
     * @dev Returns (0, 0) on the implementation, which no signature verifies against.
     */
    function signer() public view override returns (bytes32 qx, bytes32 qy) {
        if (address(this) == _self) return (0, 0);
        return abi.decode(Clones.fetchCloneArgs(address(this)), (bytes32, bytes32));
    }

    /// @inheritdoc ERC7821
    /// @dev Besides the account itself, the ERC-4337 entry point may execute: it calls only
    /// after {validateUserOp} accepted the passkey's assertion over the user operation.
    function _erc7821AuthorizedExecutor(address caller, bytes32 mode, bytes calldata executionData)
        internal
        view
        override
        returns (bool)
    {
        return caller == address(entryPoint()) || super._erc7821AuthorizedExecutor(caller, mode, executionData);
    }
}
