// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @dev A contract wallet that knows nothing of ERC-721: safe transfers to it must fail.
contract NonERC721ReceiverMock {
    function ping() external pure returns (bool) {
        return true;
    }
}
