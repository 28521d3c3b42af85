// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";

/// @dev A wallet contract for the ERC-721 behaviour tests, after OpenZeppelin's mock of the
/// same name: answers `onERC721Received` with `retval`, or fails in the chosen way.
contract ERC721ReceiverMock is IERC721Receiver {
    enum RevertType {
        None,
        RevertWithoutMessage,
        RevertWithMessage,
        RevertWithCustomError,
        Panic
    }

    bytes4 private immutable _retval;
    RevertType private immutable _revertType;

    event Received(address operator, address from, uint256 tokenId, bytes data);

    error CustomError(bytes4 retval);

    constructor(bytes4 retval, RevertType revertType) {
        _retval = retval;
        _revertType = revertType;
    }

    function onERC721Received(address operator, address from, uint256 tokenId, bytes memory data)
        public
        returns (bytes4)
    {
        if (_revertType == RevertType.RevertWithoutMessage) {
            revert();
        } else if (_revertType == RevertType.RevertWithMessage) {
            revert("ERC721ReceiverMock: reverting");
        } else if (_revertType == RevertType.RevertWithCustomError) {
            revert CustomError(_retval);
        } else if (_revertType == RevertType.Panic) {
            uint256 a = uint256(0) / uint256(0);
            a;
        }

        emit Received(operator, from, tokenId, data);
        return _retval;
    }
}
