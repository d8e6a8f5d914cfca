// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Reads a slice of a staking provider's queue in one eth_call. It is never deployed: its creation
/// code, with the constructor arguments appended, is the `data` of an eth_call without `to`, and
/// the bytes the constructor returns as the would-be contract code are the call's result (a
/// "deployless" read). Each entry is read with the registry's own getValueAtIndexInQueue.
///
/// Result: for each index first, first + 1, ..., first + count - 1, the first 32-byte word of the
/// KeyStore getValueAtIndexInQueue returned (the attester, left-padded). The result is returned as
/// code, so it is bound by the 24,576-byte code size limit: at most 768 entries per call.
contract ProviderQueueReader {
    /// getValueAtIndexInQueue(providerId, index) failed, or returned less than a KeyStore (9 words).
    error EntryUnreadable(uint256 index);

    constructor(address registry, uint256 providerId, uint256 first, uint256 count) {
        bytes memory words = new bytes(count * 32);
        for (uint256 i = 0; i < count; i++) {
            (bool ok, bytes memory answer) = registry.staticcall(
                abi.encodeWithSignature("getValueAtIndexInQueue(uint256,uint128)", providerId, first + i)
            );
            if (!ok || answer.length < 9 * 32) revert EntryUnreadable(first + i);
            assembly {
                mstore(add(add(words, 32), mul(i, 32)), mload(add(answer, 32)))
            }
        }
        assembly {
            return(add(words, 32), mload(words))
        }
    }
}
