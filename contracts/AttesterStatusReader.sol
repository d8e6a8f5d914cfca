// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Reads Aztec's rollup status of many attesters in one eth_call. It is never deployed: its
/// creation code, with the constructor arguments appended, is the `data` of an eth_call without
/// `to`, and the bytes the constructor returns as the would-be contract code are the call's result
/// (a "deployless" read). Each status is the rollup's own getStatus(attester).
///
/// Result: one byte per attester, in order: 0 NONE, 1 VALIDATING, 2 ZOMBIE, 3 EXITING (never 0xEF,
/// which code may not start with). Bound by the 24,576-byte code size limit.
contract AttesterStatusReader {
    /// getStatus(attester) failed, or answered something that is not a status.
    error StatusUnreadable(uint256 index);

    constructor(address rollup, address[] memory attesters) {
        bytes memory statuses = new bytes(attesters.length);
        for (uint256 i = 0; i < attesters.length; i++) {
            (bool ok, bytes memory answer) =
                rollup.staticcall(abi.encodeWithSignature("getStatus(address)", attesters[i]));
            if (!ok || answer.length < 32) revert StatusUnreadable(i);
            uint256 status = abi.decode(answer, (uint256));
            if (status > 3) revert StatusUnreadable(i);
            statuses[i] = bytes1(uint8(status));
        }
        assembly {
            return(add(statuses, 32), mload(statuses))
        }
    }
}
