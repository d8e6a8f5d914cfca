// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A contract that answers getRegistrationDigest with (1, 3), which is not a point of BN254's G1:
/// for add-keys' "is it the GSE?" refusal. Tests only.
contract BrokenGse {
    struct G1Point {
        uint256 x;
        uint256 y;
    }

    function getRegistrationDigest(G1Point memory) external pure returns (G1Point memory) {
        return G1Point(1, 3);
    }
}
